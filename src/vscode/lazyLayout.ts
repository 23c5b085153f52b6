// Defers creating the layout engine (elkjs starts its own worker runtime, ~70 ms) until the first
// drawing, so that activating the extension on a Python file stays cheap.
import type { FlowInfo } from '../flow/types';
import type { FlowLayout } from '../layout/flowLayout';
import type { PositionedGraph, StepRunState } from '../layout/types';

export class LazyLayout implements Pick<FlowLayout, 'layout'> {
  private instance: FlowLayout | undefined;

  constructor(private readonly create: () => FlowLayout) {}

  layout(flow: FlowInfo, run?: Record<string, StepRunState>): Promise<PositionedGraph> {
    this.instance ??= this.create();
    return this.instance.layout(flow, run);
  }
}
