// Document symbols: each flow with its parameters and steps (the step type as detail), for the Outline,
// breadcrumbs and "Go to Symbol in Editor".
import * as vscode from 'vscode';
import type { FlowInfo } from '../flow/types';
import type { AnalysedDocuments } from './flowDocumentsService';
import { toRange } from './ranges';

function flowSymbol(flow: FlowInfo): vscode.DocumentSymbol {
  const symbol = new vscode.DocumentSymbol(flow.name, 'flow', vscode.SymbolKind.Class, toRange(flow.range), toRange(flow.nameRange));
  const parameters = flow.parameters.map((p) => {
    const range = toRange(p.range);
    return new vscode.DocumentSymbol(p.attribute, `${p.kind} --${p.name}`, vscode.SymbolKind.Property, range, range);
  });
  const steps = flow.steps.map((s) => new vscode.DocumentSymbol(s.name, `${s.type} step`, vscode.SymbolKind.Method, toRange(s.range), toRange(s.nameRange)));
  // Source order reads best in the Outline; the model keeps steps in graph order.
  symbol.children = [...parameters, ...steps].sort((a, b) => a.range.start.compareTo(b.range.start));
  return symbol;
}

export class FlowSymbolProvider implements vscode.DocumentSymbolProvider {
  constructor(private readonly documents: AnalysedDocuments) {}

  async provideDocumentSymbols(document: vscode.TextDocument): Promise<vscode.DocumentSymbol[]> {
    const analysed = await this.documents.whenAnalysed(document);
    return analysed?.analysis.flows.map(flowSymbol) ?? [];
  }
}
