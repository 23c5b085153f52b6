// The flow the client tests read back: a foreach over x, y, z joined again, whose z task fails when alpha > 1.
import { finish, runner, type Workspace, writeFlow } from '../runtime/harness';

/** The flow `name`; `startLines` (Python, indented for the start step) set more artifacts before the foreach. */
export function lettersFlow(name: string, startLines: string[]): string {
  return `
from metaflow import FlowSpec, Parameter, step


class ${name}(FlowSpec):
    alpha = Parameter("alpha", type=float, default=0.5)

    @step
    def start(self):
${startLines.map((l) => `        ${l}\n`).join('')}        self.letters = ["x", "y", "z"]
        self.next(self.body, foreach="letters")

    @step
    def body(self):
        if self.input == "z" and self.alpha > 1:
            raise ValueError("no z today")
        self.upper = self.input.upper()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.uppers = sorted(i.upper for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ${name}()
`;
}

/** Writes `source` as `fileName` and runs it twice: `ok` (tagged "first") succeeds, `bad` (alpha 2) fails in z. */
export async function runOkAndFailed(ws: Workspace, fileName: string, source: string): Promise<{ file: string; ok: string; bad: string }> {
  const file = writeFlow(ws, fileName, source);
  const r = await runner(ws);
  const ok = (await finish(r.run({ flowFile: file, parameterArgs: [], tags: ['first'] }))).result.runId!;
  // One task at a time: x and y finish before z fails, so none of them is ended by z's failure.
  const bad = (await finish(r.run({ flowFile: file, parameterArgs: ['--alpha', '2'], maxWorkers: 1 }))).result.runId!;
  return { file, ok, bad };
}
