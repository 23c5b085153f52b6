// `metaflow-studio` command line: the same services as the extension, without vscode.
process.stderr.write('metaflow-studio: no commands yet\n');
process.exit(2);
