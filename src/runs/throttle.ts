// Calls `fn` at most once per `intervalMs`: the first call runs at once, later ones collapse into one
// trailing call with the newest argument. For listeners of RunRegistry.onDidChange that redraw.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Throttled<T> {
  (value: T): void;
  /** Runs a pending trailing call now. */
  flush(): void;
  /** Drops a pending trailing call. */
  cancel(): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function throttle<T>(fn: (value: T) => void, intervalMs: number, timers: Timers = realTimers): Throttled<T> {
  let timer: unknown;
  let pending: { value: T } | undefined;

  const open = () => {
    timer = timers.setTimeout(() => {
      timer = undefined;
      if (pending) fire();
    }, intervalMs);
  };
  const fire = () => {
    const p = pending!;
    pending = undefined;
    open();
    fn(p.value);
  };

  const throttled = ((value: T) => {
    pending = { value };
    if (timer === undefined) fire();
  }) as Throttled<T>;
  throttled.flush = () => {
    if (!pending) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    fire();
  };
  throttled.cancel = () => {
    pending = undefined;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
  return throttled;
}
