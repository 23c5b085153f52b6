// Plain-text views of a flow for the terminal: a tree of the graph, and Metaflow's `show` layout.
import type { FlowInfo, GraphStructure, StepInfo } from './types';

const INDENT = '    ';

function stepSummary(step: StepInfo): string {
  const details: string[] = [step.type];
  if (step.foreach) details.push(`foreach ${step.foreach}`);
  if (step.numParallel !== undefined) details.push(`num_parallel ${step.numParallel}`);
  if (step.condition) details.push(`condition ${step.condition}`);
  const decorators = step.decorators.map((d) => `@${d.name}`).join(' ');
  const next = step.switchCases
    ? Object.entries(step.switchCases).map(([k, v]) => `${k}: ${v}`).join(', ')
    : step.next.join(', ');
  return `${step.name} (${details.join(', ')})${decorators ? ` ${decorators}` : ''}${step.type === 'end' || !next ? '' : ` -> ${next}`}`;
}

/** The flow as an indented tree following `graph_structure`, then any steps the walk did not reach. */
export function renderGraphTree(flow: FlowInfo, fileLabel: string): string {
  const byName = new Map(flow.steps.map((s) => [s.name, s]));
  const lines: string[] = [`${flow.name} (${fileLabel}:${flow.line})${flow.doc ? ` - ${flow.doc.split('\n')[0]}` : ''}`];
  const shown = new Set<string>();
  const render = (block: GraphStructure, prefix: string): void => {
    for (const item of block) {
      if (typeof item === 'string') {
        const step = byName.get(item);
        shown.add(item);
        lines.push(`${prefix}${step ? stepSummary(step) : item}`);
      } else {
        item.forEach((branch, i) => {
          const last = i === item.length - 1;
          lines.push(`${prefix}${last ? '└─' : '├─'} branch ${i + 1}`);
          render(branch, `${prefix}${last ? '   ' : '│  '}`);
        });
      }
    }
  };
  render(flow.graphStructure, '  ');
  const rest = flow.steps.filter((s) => !shown.has(s.name));
  if (rest.length) {
    lines.push('  not reached from start:');
    for (const s of rest) lines.push(`    ${stepSummary(s)}`);
  }
  if (flow.parameters.length) {
    lines.push('  parameters:');
    for (const p of flow.parameters) {
      const dflt = p.default === undefined ? '' : ` = ${JSON.stringify(p.default)}`;
      lines.push(`    --${p.name} (${p.kind}${p.type ? `, ${p.type}` : ''})${dflt}${p.help ? `  ${p.help}` : ''}`);
    }
  }
  if (flow.errors.length) {
    lines.push(`  ${flow.errors.length} error${flow.errors.length === 1 ? '' : 's'}:`);
    for (const e of flow.errors) lines.push(`    ${fileLabel}:${e.line}: ${e.check}: ${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Metaflow's `show` (metaflow/cli.py): the flow docstring, then each step in sorted order with its
 * decorators (innermost first, the order Metaflow applies them), doc ('?' when none) and next steps.
 * Steps that start cannot reach are left out, as Metaflow leaves them out.
 */
export function renderShow(flow: FlowInfo): string {
  const lines: string[] = ['', flow.doc ?? ''];
  // Metaflow shows only the steps its walk from start reached (`sorted_nodes`).
  const reached = flow.steps.filter((s) => s.name === flow.start || s.inFuncs.length > 0);
  for (const step of reached) {
    lines.push('');
    for (const d of [...step.decorators].reverse()) lines.push(`@${d.name}`);
    lines.push(`Step ${step.name}`);
    for (const docLine of (step.doc || '?').split('\n')) lines.push(`${INDENT}${docLine}`);
    if (step.type !== 'end') lines.push(`${INDENT}=> ${step.next.join(', ')}`);
  }
  lines.push('');
  // Metaflow's echo treats '*' as a highlight marker and never prints it.
  return `${lines.join('\n').replace(/\*/g, '')}\n`;
}
