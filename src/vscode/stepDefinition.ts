// Go to definition from a `self.next(self.<step>)` target (or a `self.<step>` in a switch dict) to that step.
import * as vscode from 'vscode';
import type { AnalysedDocuments } from './flowDocumentsService';
import { stepReferenceAt } from './flowLookup';
import { toRange } from './ranges';

export class StepDefinitionProvider implements vscode.DefinitionProvider {
  constructor(private readonly documents: AnalysedDocuments) {}

  async provideDefinition(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.LocationLink[] | undefined> {
    const analysed = await this.documents.whenAnalysed(document);
    if (!analysed) return undefined;
    const found = stepReferenceAt(document, analysed.analysis, position);
    if (!found || found.isDefinition) return undefined;
    return [
      {
        originSelectionRange: found.range,
        targetUri: document.uri,
        targetRange: toRange(found.step.range),
        targetSelectionRange: toRange(found.step.nameRange),
      },
    ];
  }
}
