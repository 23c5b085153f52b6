// The Azure SDK logs through one process-wide logger (@azure/logger). Quiet by default: only errors (identity's
// included) reach the sink; the debug setting turns on verbose logging. Every line is redacted before it leaves.
import { format } from 'node:util';
import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from '@azure/logger';
import { redactSecrets } from './redact';

export class AzureSdkLogging {
  private readonly previousLog = AzureLogger.log;
  private readonly previousLevel = getLogLevel();

  constructor(
    private readonly sink: (line: string) => void,
    private readonly knownSecrets: () => Iterable<string> = () => [],
  ) {
    AzureLogger.log = (...args: unknown[]) => this.sink(redactSecrets(format(...args), this.knownSecrets()));
    this.setDebug(false);
  }

  get level(): AzureLogLevel | undefined {
    return getLogLevel();
  }

  setDebug(debug: boolean): void {
    setLogLevel(debug ? 'verbose' : 'error');
  }

  dispose(): void {
    AzureLogger.log = this.previousLog;
    setLogLevel(this.previousLevel);
  }
}
