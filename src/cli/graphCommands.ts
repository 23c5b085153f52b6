// `graph`, `check`, `show`: the language service from a terminal.
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createFlowAnalyzer } from '../flow/analyzer';
import { analyzeFile } from '../flow/analyzeFile';
import { toGraphJson } from '../flow/graphJson';
import { renderGraphTree, renderShow } from '../flow/textViews';
import type { FileAnalysis, FlowInfo } from '../flow/types';
import { type CliCommand, type CliIO, UsageError } from './command';

interface Target {
  label: string;
  analysis: FileAnalysis;
  flows: FlowInfo[];
}

/** Reads and analyses FLOW.py; returns an exit code instead when the file or flow cannot be used. */
async function loadTarget(file: string | undefined, flowName: string | undefined, io: CliIO): Promise<Target | number> {
  if (!file) throw new UsageError('missing FLOW.py argument');
  const full = resolve(io.cwd, file);
  const label = relative(io.cwd, full) || file;
  if (!existsSync(full)) {
    io.stderr(`metaflow-studio: ${label}: no such file\n`);
    return 2;
  }
  if (!statSync(full).isFile()) {
    io.stderr(`metaflow-studio: ${label}: not a file\n`);
    return 2;
  }
  const analyzer = await createFlowAnalyzer();
  try {
    const analysis = analyzeFile(analyzer, full);
    if (analysis.flows.length === 0) {
      const why = analysis.syntaxErrors.length
        ? ` (it has ${analysis.syntaxErrors.length} syntax error${analysis.syntaxErrors.length === 1 ? '' : 's'}; first at line ${analysis.syntaxErrors[0].range.start.line + 1})`
        : '';
      io.stderr(`metaflow-studio: ${label} defines no flow: no class derives from metaflow's FlowSpec${why}.\n`);
      return 1;
    }
    let flows = analysis.flows;
    if (flowName !== undefined) {
      flows = flows.filter((f) => f.name === flowName);
      if (flows.length === 0) {
        io.stderr(`metaflow-studio: ${label} has no flow named '${flowName}'; it defines ${analysis.flows.map((f) => f.name).join(', ')}.\n`);
        return 2;
      }
    }
    return { label, analysis, flows };
  } finally {
    analyzer.dispose();
  }
}

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function singlePositional(positionals: string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return positionals[0];
}

function syntaxLines(target: Target): string[] {
  return target.analysis.syntaxErrors.map((e) => `${target.label}:${e.range.start.line + 1}: syntax-error: ${e.message}`);
}

const graphCommand: CliCommand = {
  name: 'graph',
  summary: "Print a flow's steps, their types and transitions, and its lint errors",
  usage: 'graph FLOW.py [--json] [--flow NAME]',
  async run(args, io) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' }, flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), values.flow as string | undefined, io);
    if (typeof target === 'number') return target;
    if (values.json) {
      io.stdout(`${JSON.stringify(toGraphJson({ ...target.analysis, flows: target.flows }), null, 2)}\n`);
      return 0;
    }
    io.stdout(target.flows.map((f) => renderGraphTree(f, target.label)).join('\n'));
    const syntax = syntaxLines(target);
    if (syntax.length) io.stdout(`${syntax.join('\n')}\n`);
    return 0;
  },
};

const checkCommand: CliCommand = {
  name: 'check',
  summary: "Run Metaflow's graph checks on a flow; exit 1 when any fails",
  usage: 'check FLOW.py [--flow NAME]',
  async run(args, io) {
    const { values, positionals } = parse(args, { flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), values.flow as string | undefined, io);
    if (typeof target === 'number') return target;
    const lines = [...syntaxLines(target)];
    for (const flow of target.flows) {
      for (const e of flow.errors) lines.push(`${target.label}:${e.line}: ${e.check}: ${e.message}`);
    }
    if (lines.length) {
      io.stdout(`${lines.join('\n')}\n`);
      io.stderr(`${lines.length} problem${lines.length === 1 ? '' : 's'} found in ${target.label}.\n`);
      return 1;
    }
    for (const flow of target.flows) io.stdout(`OK: ${flow.name} (${flow.steps.length} step${flow.steps.length === 1 ? '' : 's'}): the graph looks good.\n`);
    return 0;
  },
};

const showCommand: CliCommand = {
  name: 'show',
  summary: "Describe a flow: its docstring, then each step's doc and next steps",
  usage: 'show FLOW.py [--flow NAME]',
  async run(args, io) {
    const { values, positionals } = parse(args, { flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), values.flow as string | undefined, io);
    if (typeof target === 'number') return target;
    // Like `python FILE.py show`: the flow the file runs as a script, unless --flow says otherwise.
    const main = values.flow === undefined && target.analysis.mainFlow ? target.flows.find((f) => f.name === target.analysis.mainFlow) : undefined;
    if (main) {
      io.stdout(renderShow(main));
      return 0;
    }
    if (target.flows.length > 1) {
      io.stderr(`metaflow-studio: ${target.label} defines ${target.flows.length} flows (${target.flows.map((f) => f.name).join(', ')}); choose one with --flow NAME.\n`);
      return 2;
    }
    io.stdout(renderShow(target.flows[0]));
    return 0;
  },
};

export const graphCommands: CliCommand[] = [graphCommand, checkCommand, showCommand];
