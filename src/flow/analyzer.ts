// The flow analyzer: parses Python with tree-sitter (incrementally per document) and turns every
// FlowSpec subclass into a FlowInfo. Never imports or runs user code.
import type { Language as LanguageT, Parser as ParserT, Tree } from 'web-tree-sitter';
import { join } from 'node:path';
import type { ClassModel } from './classModel';
import { extractClass, topLevelClasses } from './classExtractor';
import { buildFlowInfo, resolveFlows } from './flowBuilder';
import { GraphCache } from './graph';
import type { LintOptions } from './lint';
import { mainFlowName } from './mainFlow';
import { collectMetaflowNames, namesSignature } from './metaflowNames';
import { type StepCache, createStepCache } from './stepCache';
import { collectSyntaxErrors } from './syntaxErrors';
import { editsAreConsistent, toTreeSitterEdit } from './textEdits';
import type { FileAnalysis, FlowAnalyzer, TextEdit } from './types';
import { locateWasmFiles } from './wasmFiles';

// web-tree-sitter's ESM entry uses top-level await, which a CommonJS bundle cannot hold; its CJS entry is the one to load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Parser, Language } = require('web-tree-sitter') as typeof import('web-tree-sitter');

export interface FlowAnalyzerOptions extends LintOptions {
  /** Directory holding tree-sitter.wasm and tree-sitter-python.wasm (default: beside this module, else node_modules). */
  wasmDir?: string;
}

/** Cheap test that spares non-flow Python files a parse. */
export function mightDefineFlow(text: string): boolean {
  return text.includes('FlowSpec') || text.includes('metaflow');
}

interface DocumentState {
  text: string;
  tree: Tree;
  analysis: FileAnalysis;
  steps: StepCache;
  graphs: GraphCache;
}

export class TreeSitterFlowAnalyzer implements FlowAnalyzer {
  private readonly documents = new Map<string, DocumentState>();

  constructor(
    private readonly parser: ParserT,
    private readonly lintOptions: LintOptions = {},
  ) {}

  analyze(key: string, text: string, edits?: TextEdit[]): FileAnalysis {
    const previous = this.documents.get(key);
    if (!mightDefineFlow(text)) {
      this.forget(key);
      return { isFlowFile: false, flows: [], syntaxErrors: [] };
    }
    if (previous && previous.text === text && (!edits || edits.length === 0)) return previous.analysis;
    let oldTree: Tree | null = null;
    if (previous && edits && edits.length > 0 && editsAreConsistent(previous.text.length, text.length, edits)) {
      oldTree = previous.tree;
      for (const edit of edits) oldTree.edit(toTreeSitterEdit(edit));
    }
    const tree = this.parser.parse(text, oldTree);
    if (!tree) throw new Error(`tree-sitter could not parse ${key}`);
    const steps = previous?.steps ?? createStepCache();
    const graphs = previous?.graphs ?? new GraphCache();
    let analysis: FileAnalysis;
    try {
      analysis = this.extract(tree, text, steps, graphs);
    } catch (err) {
      // The previous tree was edited in place, so neither tree may be reused: start cold next time.
      tree.delete();
      this.forget(key);
      throw err;
    }
    previous?.tree.delete();
    this.documents.set(key, { text, tree, analysis, steps, graphs });
    return analysis;
  }

  forget(key: string): void {
    this.documents.get(key)?.tree.delete();
    this.documents.delete(key);
  }

  /** Frees every cached tree and the parser; the analyzer cannot be used afterwards. */
  dispose(): void {
    for (const key of [...this.documents.keys()]) this.forget(key);
    this.parser.delete();
  }

  private extract(tree: Tree, text: string, stepCache: StepCache, graphs: GraphCache): FileAnalysis {
    const root = tree.rootNode;
    const names = collectMetaflowNames(root);
    const signature = namesSignature(names);
    stepCache.beginPass();
    const models: ClassModel[] = [];
    for (const node of topLevelClasses(root)) {
      const model = extractClass(node, names, (definition, n) => stepCache.read(definition, signature, n));
      if (model) models.push(model);
    }
    stepCache.endPass();
    const flows = resolveFlows(models).map((f) => buildFlowInfo(f, this.lintOptions, graphs));
    const analysis: FileAnalysis = {
      isFlowFile: names.importsMetaflow || flows.length > 0,
      flows,
      syntaxErrors: collectSyntaxErrors(root, text),
    };
    const main = flows.length ? mainFlowName(root, new Set(flows.map((f) => f.name))) : undefined;
    if (main) analysis.mainFlow = main;
    return analysis;
  }
}

export async function createFlowAnalyzer(options: FlowAnalyzerOptions = {}): Promise<TreeSitterFlowAnalyzer> {
  const files = locateWasmFiles(options.wasmDir);
  // Parser.init is idempotent within a process (web-tree-sitter keeps one runtime instance).
  await Parser.init({ locateFile: (name: string) => join(files.runtimeDir, name) });
  const language: LanguageT = await Language.load(files.grammar);
  const parser = new Parser();
  parser.setLanguage(language);
  return new TreeSitterFlowAnalyzer(parser, { requireNonNestedForeach: options.requireNonNestedForeach });
}

