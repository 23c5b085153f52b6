// Top-level class statements -> ClassModel, for every class (flows are decided later, with inheritance).
import type { BaseRef, ClassModel, RawStep } from './classModel';
import { parseDecorator } from './decorators';
import { docstringOf } from './docstrings';
import { type MetaflowNames, refersTo } from './metaflowNames';
import { assignedName, extractParameter } from './parameters';
import type { ParameterInfo } from './types';
import { type SyntaxNode, dottedName, nodeRange, statements } from './syntaxTree';

/** Extracts one step; injected so that the analyzer can serve unchanged steps from its cache. */
export type StepReader = (definition: SyntaxNode, names: MetaflowNames) => RawStep | undefined;

export function topLevelClasses(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const stmt of statements(root)) {
    if (stmt.type === 'class_definition') out.push(stmt);
    else if (stmt.type === 'decorated_definition' && stmt.childForFieldName('definition')?.type === 'class_definition') out.push(stmt);
  }
  return out;
}

export function extractClass(node: SyntaxNode, names: MetaflowNames, readStep: StepReader): ClassModel | undefined {
  const cls = node.type === 'decorated_definition' ? node.childForFieldName('definition') : node;
  if (!cls || cls.type !== 'class_definition') return undefined;
  const nameNode = cls.childForFieldName('name');
  if (!nameNode) return undefined;
  const superclasses = cls.childForFieldName('superclasses');
  const bases: BaseRef[] = [];
  for (const base of superclasses ? statements(superclasses) : []) {
    if (base.type === 'keyword_argument') continue;
    const path = dottedName(base);
    bases.push({
      text: base.text,
      isFlowSpec: refersTo(base, names.flowSpec, 'FlowSpec', names),
      localName: path?.length === 1 ? path[0] : undefined,
    });
  }
  const decorators = node.type === 'decorated_definition'
    ? statements(node).filter((n) => n.type === 'decorator').map((d) => parseDecorator(d).info)
    : [];
  const body = cls.childForFieldName('body');
  const steps: Array<{ step: RawStep; member: number }> = [];
  const parameters: Array<{ parameter: ParameterInfo; member: number }> = [];
  const members: string[] = [];
  for (const stmt of body ? statements(body) : []) {
    if (stmt.type === 'function_definition' || stmt.type === 'decorated_definition') {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      const defName = def?.childForFieldName('name')?.text;
      if (!defName) continue;
      members.push(defName);
      if (def?.type !== 'function_definition') continue;
      const step = readStep(stmt, names);
      if (step) steps.push({ step, member: members.length - 1 });
      continue;
    }
    const assigned = assignedName(stmt);
    if (!assigned) continue;
    members.push(assigned.name);
    const parameter = extractParameter(stmt, names);
    if (parameter) parameters.push({ parameter, member: members.length - 1 });
  }
  // A later definition of the same name replaces an earlier one, as in Python.
  const isLast = (name: string, member: number) => members.lastIndexOf(name) === member;
  return {
    name: nameNode.text,
    line: cls.startPosition.row + 1,
    range: nodeRange(node),
    nameRange: nodeRange(nameNode),
    doc: docstringOf(body),
    bases,
    decorators,
    parameters: parameters.filter((p) => isLast(p.parameter.attribute, p.member)).map((p) => p.parameter),
    steps: steps.filter((s) => isLast(s.step.name, s.member)).map((s) => s.step),
    members,
  };
}
