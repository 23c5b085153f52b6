// A tiny typed event emitter (src/runs must not import vscode). One listener's exception does not stop
// the others; it is handed to `onError`.

export interface Disposable {
  dispose(): void;
}

export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  on(listener: (value: T) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.length;
  }
}
