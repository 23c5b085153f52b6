// `graph`, `check`, `show`: the language service from a terminal.
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createFlowAnalyzer } from '../flow/analyzer';
import { analyzeFile } from '../flow/analyzeFile';
import { toGraphJson } from '../flow/graphJson';
import { renderGraphTree, renderShow } from '../flow/textViews';
import type { FileAnalysis, FlowInfo } from '../flow/types';
import { lastOption, type OptionTypes, parseVerbArgs } from './args';
import { type CliCommand, type CliIO, UsageError } from './command';
import { lintReport } from './lintReport';

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

function parse(args: string[], options: OptionTypes): { flow: string | undefined; json: boolean; positionals: string[] } {
  const p = parseVerbArgs(args, options, false);
  return { flow: lastOption(p, 'flow'), json: p.flags.has('json'), positionals: p.positional };
}

function singlePositional(positionals: string[]): string | undefined {
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return positionals[0];
}

function problems(target: Target, flows: FlowInfo[]) {
  return lintReport(target.label, flows.flatMap((f) => f.errors), target.analysis.syntaxErrors);
}

const graphCommand: CliCommand = {
  name: 'graph',
  summary: "Print a flow's steps, their types and transitions, and its lint errors",
  usage: 'graph FLOW.py [--json] [--flow NAME]',
  async run(args, io) {
    const { flow, json, positionals } = parse(args, { json: { type: 'boolean' }, flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), flow, io);
    if (typeof target === 'number') return target;
    if (json) {
      io.stdout(`${JSON.stringify(toGraphJson({ ...target.analysis, flows: target.flows }), null, 2)}\n`);
      return 0;
    }
    io.stdout(target.flows.map((f) => renderGraphTree(f, target.label)).join('\n'));
    const syntax = problems(target, []).lines;
    if (syntax.length) io.stdout(`${syntax.join('\n')}\n`);
    return 0;
  },
};

const checkCommand: CliCommand = {
  name: 'check',
  summary: "Run Metaflow's graph checks on a flow; exit 1 when any fails",
  usage: 'check FLOW.py [--flow NAME]',
  async run(args, io) {
    const { flow, positionals } = parse(args, { flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), flow, io);
    if (typeof target === 'number') return target;
    const report = problems(target, target.flows);
    if (report.lines.length) {
      io.stdout(`${report.lines.join('\n')}\n`);
      io.stderr(`${report.summary}\n`);
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
    const { flow, positionals } = parse(args, { flow: { type: 'string' } });
    const target = await loadTarget(singlePositional(positionals), flow, io);
    if (typeof target === 'number') return target;
    // Like `python FILE.py show`: the flow the file runs as a script, unless --flow says otherwise.
    const main = flow === undefined && target.analysis.mainFlow ? target.flows.find((f) => f.name === target.analysis.mainFlow) : undefined;
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
