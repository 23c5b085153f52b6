// A status line kept at the bottom of a terminal (stderr): redrawn in place, cleared before other
// output is written so log lines never mix with it.

const CLEAR_LINE = '\r\x1b[2K';

export class ProgressLine {
  private shown = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: () => number | undefined = () => undefined,
  ) {}

  show(text: string): void {
    const width = this.columns();
    const fitted = width && text.length >= width ? `${text.slice(0, Math.max(0, width - 2))}…` : text;
    if (fitted === this.shown) return;
    this.write(`${CLEAR_LINE}${fitted}`);
    this.shown = fitted;
  }

  clear(): void {
    if (!this.shown) return;
    this.write(CLEAR_LINE);
    this.shown = '';
  }
}
