// Creates the flow analyzer (which loads the tree-sitter wasm grammar) once, on first need, so that
// activation stays cheap and a workspace without flows never pays for it.
import type { FlowAnalyzer } from '../flow/types';
import type { Log } from './log';

export type AnalyzerFactory = () => FlowAnalyzer | Promise<FlowAnalyzer>;

export class LazyAnalyzer {
  private loading: Promise<FlowAnalyzer | undefined> | undefined;
  private loaded: FlowAnalyzer | undefined;

  constructor(
    private readonly factory: AnalyzerFactory,
    private readonly log: Log,
  ) {}

  /** The analyzer if it has finished loading; never starts loading. */
  get current(): FlowAnalyzer | undefined {
    return this.loaded;
  }

  /** Starts loading on the first call; resolves to undefined (after logging why) when it cannot load. */
  load(): Promise<FlowAnalyzer | undefined> {
    this.loading ??= (async () => {
      const started = Date.now();
      try {
        this.loaded = await this.factory();
        this.log.info(`Flow analyzer ready (${Date.now() - started} ms).`);
        return this.loaded;
      } catch (err) {
        this.log.error(`The flow analyzer could not start, so flows will not be analysed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    })();
    return this.loading;
  }
}
