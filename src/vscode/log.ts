// What the VS Code layer needs from a log: the "Metaflow" Output channel provides it.
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
