// Keeps the analysis of every open Python document current: lazily (the analyzer loads on the first
// document that may hold a flow), incrementally (edits are handed to tree-sitter) and debounced.
// Documents that cannot hold a flow cost one regex test per debounced change and are never parsed.
import * as vscode from 'vscode';
import type { FileAnalysis, FlowAnalyzer, TextEdit } from '../flow/types';
import type { AnalysedDocument, FlowDocuments } from './flowDocuments';
import { mightDefineFlow } from '../flow/analyzer';
import type { LazyAnalyzer } from './lazyAnalyzer';
import type { Log } from './log';
import { DEBOUNCE_SETTING, type Settings } from './settings';
import { toTextEdits } from './textEdits';

/** The FlowDocuments contract plus a wait for the analyzer, for providers that may run before it has loaded. */
export interface AnalysedDocuments extends FlowDocuments {
  /** The current analysis, waiting for the analyzer to load first; undefined when the document is not Python. */
  whenAnalysed(document: vscode.TextDocument): Promise<AnalysedDocument | undefined>;
}

export interface FlowDocumentsServiceOptions {
  analyzer: LazyAnalyzer;
  settings: Settings;
  log: Log;
}

interface Tracked {
  result?: AnalysedDocument;
  /** Edits since the analyzer last parsed this document; undefined when it holds no tree for it. */
  pendingEdits?: TextEdit[];
  timer?: ReturnType<typeof setTimeout>;
}

const NOT_A_FLOW: FileAnalysis = Object.freeze({ isFlowFile: false, flows: [], syntaxErrors: [] }) as FileAnalysis;

export function isPython(document: vscode.TextDocument): boolean {
  return document.languageId === 'python';
}

export class FlowDocumentsService implements AnalysedDocuments {
  private readonly tracked = new Map<string, Tracked>();
  private readonly analyzed = new vscode.EventEmitter<AnalysedDocument>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private debounceMs: number;
  readonly onDidAnalyze = this.analyzed.event;

  constructor(private readonly options: FlowDocumentsServiceOptions) {
    this.debounceMs = options.settings.number(DEBOUNCE_SETTING);
    this.subscriptions.push(
      this.analyzed,
      options.settings.onDidChange((event) => {
        if (event.affectsConfiguration(DEBOUNCE_SETTING.id)) this.debounceMs = options.settings.number(DEBOUNCE_SETTING);
      }),
      vscode.workspace.onDidOpenTextDocument((document) => this.opened(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.changed(event)),
      vscode.workspace.onDidCloseTextDocument((document) => this.closed(document)),
    );
    for (const document of vscode.workspace.textDocuments) this.opened(document);
  }

  get(document: vscode.TextDocument): AnalysedDocument | undefined {
    if (!isPython(document)) return undefined;
    if (document.isClosed) return this.analyseOnce(document);
    const entry = this.entry(document);
    if (entry.result?.version === document.version) return entry.result;
    const analyzer = this.options.analyzer.current;
    const text = document.getText();
    if (!mightDefineFlow(text)) return this.store(document, entry, NOT_A_FLOW);
    if (!analyzer) {
      void this.loadThenAnalyse(document);
      return entry.result;
    }
    return this.analyseWith(analyzer, document, entry, text);
  }

  async whenAnalysed(document: vscode.TextDocument): Promise<AnalysedDocument | undefined> {
    if (!isPython(document)) return undefined;
    if (!this.options.analyzer.current && mightDefineFlow(document.getText())) await this.options.analyzer.load();
    return this.get(document);
  }

  dispose(): void {
    for (const entry of this.tracked.values()) if (entry.timer) clearTimeout(entry.timer);
    this.tracked.clear();
    for (const s of this.subscriptions) s.dispose();
  }

  private entry(document: vscode.TextDocument): Tracked {
    const key = document.uri.toString();
    let entry = this.tracked.get(key);
    if (!entry) {
      entry = {};
      this.tracked.set(key, entry);
    }
    return entry;
  }

  private opened(document: vscode.TextDocument): void {
    if (!isPython(document)) return;
    if (mightDefineFlow(document.getText())) void this.loadThenAnalyse(document);
    else this.get(document);
  }

  private changed(event: vscode.TextDocumentChangeEvent): void {
    const document = event.document;
    if (!isPython(document) || event.contentChanges.length === 0) return;
    const entry = this.entry(document);
    if (entry.pendingEdits) entry.pendingEdits.push(...toTextEdits(event.contentChanges));
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.tracked.get(document.uri.toString()) !== entry || document.isClosed) return;
      this.get(document);
    }, this.debounceMs);
  }

  private closed(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const entry = this.tracked.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    this.tracked.delete(key);
    if (entry.pendingEdits) this.options.analyzer.current?.forget(key);
  }

  /** A closed document is analysed without being tracked: no close event would ever release it. */
  private analyseOnce(document: vscode.TextDocument): AnalysedDocument | undefined {
    const analyzer = this.options.analyzer.current;
    const text = document.getText();
    if (!mightDefineFlow(text)) return { uri: document.uri, version: document.version, analysis: NOT_A_FLOW };
    if (!analyzer) return undefined;
    const key = `closed:${document.uri.toString()}`;
    try {
      return { uri: document.uri, version: document.version, analysis: analyzer.analyze(key, text) };
    } finally {
      analyzer.forget(key);
    }
  }

  private async loadThenAnalyse(document: vscode.TextDocument): Promise<void> {
    const analyzer = await this.options.analyzer.load();
    if (analyzer && !document.isClosed) this.get(document);
  }

  private analyseWith(analyzer: FlowAnalyzer, document: vscode.TextDocument, entry: Tracked, text: string): AnalysedDocument | undefined {
    const key = document.uri.toString();
    const edits = entry.pendingEdits;
    let analysis: FileAnalysis;
    try {
      analysis = analyzer.analyze(key, text, edits && edits.length > 0 ? edits : undefined);
    } catch (err) {
      // A stale tree must not poison the next attempt: start over from a full parse.
      analyzer.forget(key);
      entry.pendingEdits = undefined;
      this.options.log.error(`Could not analyse ${document.uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      return entry.result;
    }
    entry.pendingEdits = [];
    return this.store(document, entry, analysis);
  }

  private store(document: vscode.TextDocument, entry: Tracked, analysis: FileAnalysis): AnalysedDocument {
    if (analysis === NOT_A_FLOW && entry.pendingEdits) {
      this.options.analyzer.current?.forget(document.uri.toString());
      entry.pendingEdits = undefined;
    }
    const wasFlow = (entry.result?.analysis.isFlowFile ?? false) || (entry.result?.analysis.flows.length ?? 0) > 0;
    const result: AnalysedDocument = { uri: document.uri, version: document.version, analysis };
    entry.result = result;
    // Listeners hear about flow documents, and about a document that just stopped being one.
    if (analysis !== NOT_A_FLOW || wasFlow) this.analyzed.fire(result);
    return result;
  }
}
