// What one class statement says, before inheritance is resolved: its steps, parameters and decorators.
import type { DecoratorInfo, ParameterInfo, SourceRange } from './types';
import type { TailNext } from './transitions';

export interface RawStep {
  name: string;
  /** 1-based line of the `def`. */
  line: number;
  range: SourceRange;
  nameRange: SourceRange;
  doc?: string;
  decorators: DecoratorInfo[];
  stepDecoratorRange: SourceRange;
  startAnnotation: boolean;
  endAnnotation: boolean;
  numArgs: number;
  parametersRange: SourceRange;
  /** Range of a decorator that makes this a `@parallel` step. */
  parallelDecoratorRange?: SourceRange;
  tail: TailNext;
}

export interface BaseRef {
  text: string;
  /** True when the base is Metaflow's FlowSpec itself. */
  isFlowSpec: boolean;
  /** The simple name, when the base is a plain identifier (a class of the same file, maybe). */
  localName?: string;
}

export interface ClassModel {
  name: string;
  line: number;
  range: SourceRange;
  nameRange: SourceRange;
  doc?: string;
  bases: BaseRef[];
  decorators: DecoratorInfo[];
  parameters: ParameterInfo[];
  steps: RawStep[];
  /** Every name the class body defines (methods, attributes), so overrides hide inherited steps. */
  members: string[];
}
