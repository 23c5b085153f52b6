// Hover on a step name or on a `self.<step>` target: the step's type, decorators, successors and docstring.
import * as vscode from 'vscode';
import type { DecoratorInfo, FlowInfo, LiteralValue, StepInfo } from '../flow/types';
import type { AnalysedDocuments } from './flowDocumentsService';
import { stepReferenceAt } from './flowLookup';

function literal(value: LiteralValue): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && '$expr' in value && typeof value.$expr === 'string') return value.$expr;
  return JSON.stringify(value);
}

function decoratorText(decorator: DecoratorInfo): string {
  const args = [...decorator.args.map(literal), ...Object.entries(decorator.attributes).map(([k, v]) => `${k}=${literal(v)}`)];
  return args.length > 0 ? `@${decorator.name}(${args.join(', ')})` : `@${decorator.name}`;
}

function successors(step: StepInfo): string {
  if (step.switchCases && Object.keys(step.switchCases).length > 0) {
    return Object.entries(step.switchCases).map(([key, target]) => `\`${key}\` → \`${target}\``).join(', ');
  }
  return step.next.map((n) => `\`${n}\``).join(', ');
}

export function stepHoverMarkdown(flow: FlowInfo, step: StepInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**${step.name}** — ${step.type} step of \`${flow.name}\`\n\n`);
  if (step.decorators.length > 0) md.appendCodeblock(step.decorators.map(decoratorText).join('\n'), 'python');
  if (step.foreach) md.appendMarkdown(`For each item of \`self.${step.foreach}\`\n\n`);
  if (step.condition) md.appendMarkdown(`Switch on \`self.${step.condition}\`\n\n`);
  if (step.next.length > 0) md.appendMarkdown(`Next: ${successors(step)}\n\n`);
  else if (step.type === 'end') md.appendMarkdown('Ends the flow.\n\n');
  if (step.inFuncs.length > 0) md.appendMarkdown(`After: ${step.inFuncs.map((n) => `\`${n}\``).join(', ')}\n\n`);
  if (step.doc) {
    md.appendMarkdown('---\n\n');
    md.appendText(step.doc);
  }
  return md;
}

export class StepHoverProvider implements vscode.HoverProvider {
  constructor(private readonly documents: AnalysedDocuments) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const analysed = await this.documents.whenAnalysed(document);
    if (!analysed) return undefined;
    const found = stepReferenceAt(document, analysed.analysis, position);
    if (!found) return undefined;
    return new vscode.Hover(stepHoverMarkdown(found.flow, found.step), found.range);
  }
}
