// Analyse a file on disk (CLI, runtime, deploy): reads it and keys the analysis by its path.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileAnalysis, FlowAnalyzer } from './types';

export function analyzeFile(analyzer: FlowAnalyzer, path: string): FileAnalysis {
  const full = resolve(path);
  return analyzer.analyze(full, readFileSync(full, 'utf8'));
}
