// DAG panel webview entry point.
export {};
