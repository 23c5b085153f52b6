// Which local names refer to Metaflow's FlowSpec, step and parameter classes, from the module's imports.
import type { ParameterKind } from './types';
import { type SyntaxNode, dottedName, statements } from './syntaxTree';

export interface MetaflowNames {
  /** Local names bound to the `metaflow` module (`metaflow`, `mf`). */
  modules: Set<string>;
  flowSpec: Set<string>;
  step: Set<string>;
  parameterKinds: Map<string, ParameterKind>;
  importsMetaflow: boolean;
}

const PARAMETER_KINDS: ParameterKind[] = ['Parameter', 'IncludeFile', 'Config'];

/**
 * Bare `FlowSpec`, `step`, `Parameter`, ... are always accepted, so that a flow still reads as one
 * while its imports are being typed or come from a star import.
 */
export function collectMetaflowNames(root: SyntaxNode): MetaflowNames {
  const names: MetaflowNames = {
    modules: new Set(['metaflow']),
    flowSpec: new Set(['FlowSpec']),
    step: new Set(['step']),
    parameterKinds: new Map(PARAMETER_KINDS.map((k) => [k, k])),
    importsMetaflow: false,
  };
  for (const stmt of statements(root)) {
    if (stmt.type === 'import_statement') {
      for (const item of statements(stmt)) {
        const { module, alias } = importedName(item);
        if (module?.[0] !== 'metaflow') continue;
        names.importsMetaflow = true;
        // `import metaflow.plugins` binds `metaflow`; `import metaflow as mf` binds `mf` only for the full module.
        if (alias && module.length === 1) names.modules.add(alias);
      }
    } else if (stmt.type === 'import_from_statement') {
      const moduleNode = stmt.childForFieldName('module_name');
      if (!moduleNode || moduleNode.text !== 'metaflow') continue;
      names.importsMetaflow = true;
      for (const item of stmt.childrenForFieldName('name')) {
        if (!item) continue;
        const { module, alias } = importedName(item);
        if (!module || module.length !== 1) continue;
        const local = alias ?? module[0];
        if (module[0] === 'FlowSpec') names.flowSpec.add(local);
        else if (module[0] === 'step') names.step.add(local);
        else if ((PARAMETER_KINDS as string[]).includes(module[0])) names.parameterKinds.set(local, module[0] as ParameterKind);
      }
    }
  }
  return names;
}

function importedName(item: SyntaxNode): { module?: string[]; alias?: string } {
  if (item.type === 'aliased_import') {
    const nameNode = item.childForFieldName('name');
    const aliasNode = item.childForFieldName('alias');
    return { module: nameNode ? dottedPath(nameNode) : undefined, alias: aliasNode?.text };
  }
  if (item.type === 'dotted_name' || item.type === 'identifier') return { module: dottedPath(item) };
  return {};
}

function dottedPath(node: SyntaxNode): string[] {
  return node.type === 'dotted_name' ? statements(node).map((n) => n.text) : [node.text];
}

/** True when `node` names a Metaflow object: `X` for an imported alias, or `<metaflow module>.X`. */
export function refersTo(node: SyntaxNode, locals: Set<string>, attribute: string, names: MetaflowNames): boolean {
  const path = dottedName(node);
  if (!path) return false;
  if (path.length === 1) return locals.has(path[0]);
  return path.length === 2 && names.modules.has(path[0]) && path[1] === attribute;
}

/** The parameter kind a call's function names, if any. */
export function parameterKindOf(node: SyntaxNode, names: MetaflowNames): ParameterKind | undefined {
  const path = dottedName(node);
  if (!path) return undefined;
  if (path.length === 1) return names.parameterKinds.get(path[0]);
  if (path.length === 2 && names.modules.has(path[0]) && (PARAMETER_KINDS as string[]).includes(path[1])) return path[1] as ParameterKind;
  return undefined;
}

/** A stable text for cache keys: extraction results depend on these names. */
export function namesSignature(names: MetaflowNames): string {
  return [
    [...names.modules].sort().join(','),
    [...names.flowSpec].sort().join(','),
    [...names.step].sort().join(','),
    [...names.parameterKinds].map(([k, v]) => `${k}=${v}`).sort().join(','),
  ].join(';');
}
