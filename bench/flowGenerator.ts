// Generates a large, realistic Metaflow flow (linear runs, static splits, foreaches, switches,
// joins, decorators, parameters): about 17 lines per step, so 300 steps make ~5,000 lines.

interface Emitter {
  lines: string[];
  count: number;
}

function body(e: Emitter, name: string, doc: string, next: string, decorators: string[], inputs = false): void {
  e.count += 1;
  const i = e.count;
  e.lines.push(`    # --- step ${i}: ${name} ---`);
  for (const d of decorators) e.lines.push(`    ${d}`);
  e.lines.push('    @step');
  e.lines.push(`    def ${name}(self${inputs ? ', inputs' : ''}):`);
  e.lines.push(`        """${doc}`);
  e.lines.push('');
  e.lines.push(`        Step ${i} of the generated pipeline.`);
  e.lines.push('        """');
  if (inputs) {
    e.lines.push('        values = [getattr(inp, "value", 0) for inp in inputs]');
    e.lines.push('        self.value = sum(values) / max(len(values), 1)');
  } else {
    e.lines.push(`        rows = [{"id": k, "score": (k * ${i}) % 97} for k in range(${(i % 7) + 3})]`);
    e.lines.push('        totals = {}');
    e.lines.push('        for row in rows:');
    e.lines.push('            totals[row["id"] % 3] = totals.get(row["id"] % 3, 0) + row["score"]');
    e.lines.push(`        self.value = sum(totals.values()) + ${i}`);
  }
  e.lines.push(`        self.log_${i} = "step ${name} done"`);
  e.lines.push(`        print(self.log_${i}, self.value)`);
  e.lines.push(`        ${next}`);
  e.lines.push('');
}

const DECORATOR_CHOICES = [
  [],
  ['@retry(times=2)'],
  ['@resources(memory=4096, cpu=2)'],
  ['@catch(var="failure")', '@retry(times=1, minutes_between_retries=0)'],
  ['@timeout(minutes=30)'],
];

/** A flow with exactly `steps` steps (at least 2). */
export function generateLargeFlow(steps: number): string {
  const total = Math.max(2, Math.floor(steps));
  const e: Emitter = { lines: [], count: 0 };
  e.lines.push('"""A generated pipeline used to measure the analyzer and the layout."""');
  e.lines.push('from metaflow import FlowSpec, Parameter, step, retry, resources, catch, timeout');
  e.lines.push('');
  e.lines.push('');
  e.lines.push('class GeneratedFlow(FlowSpec):');
  e.lines.push('    """Linear runs, static splits, foreaches and switches, all joined again."""');
  e.lines.push('');
  e.lines.push('    alpha = Parameter("alpha", default=0.5, help="Weight")');
  e.lines.push('    rounds = Parameter("rounds", default=3, type=int)');
  e.lines.push('');
  let block = 0;
  let current = 'start';
  const remaining = () => total - e.count - 1; // keep one step for `end`
  const decorators = () => DECORATOR_CHOICES[e.count % DECORATOR_CHOICES.length];
  // `current` is the name of the next step to define; each block defines it and its successors.
  while (remaining() > 0) {
    block += 1;
    const kind = remaining() >= 6 ? block % 4 : 0;
    const after = remaining() === 1 ? 'end' : `s${block}_next`;
    if (kind === 1) {
      const a = `s${block}_a`;
      const b = `s${block}_b`;
      const c = `s${block}_c`;
      const join = `s${block}_join`;
      body(e, current, 'Fan out into three branches.', `self.next(self.${a}, self.${b}, self.${c})`, decorators());
      body(e, a, 'Branch a.', `self.next(self.${join})`, decorators());
      body(e, b, 'Branch b.', `self.next(self.${join})`, decorators());
      body(e, c, 'Branch c.', `self.next(self.${join})`, decorators());
      body(e, join, 'Join the branches.', `self.next(self.${after})`, [], true);
    } else if (kind === 2) {
      const each = `s${block}_each`;
      const post = `s${block}_post`;
      const join = `s${block}_join`;
      e.lines.push(`    # foreach block ${block}`);
      body(e, current, 'Fan out over items.', `self.items = list(range(4))\n        self.next(self.${each}, foreach="items")`, decorators());
      body(e, each, 'Work on one item.', `self.next(self.${post})`, decorators());
      body(e, post, 'Post-process one item.', `self.next(self.${join})`, decorators());
      body(e, join, 'Collect the items.', `self.next(self.${after})`, [], true);
    } else if (kind === 3) {
      const fast = `s${block}_fast`;
      const slow = `s${block}_slow`;
      const merge = `s${block}_merge`;
      body(e, current, 'Choose a path.', `self.mode = "fast" if self.value % 2 else "slow"\n        self.next({"fast": self.${fast}, "slow": self.${slow}}, condition="mode")`, decorators());
      body(e, fast, 'Fast path.', `self.next(self.${merge})`, decorators());
      body(e, slow, 'Slow path.', `self.next(self.${merge})`, decorators());
      body(e, merge, 'Paths meet again.', `self.next(self.${after})`, decorators());
    } else {
      body(e, current, 'A linear step.', `self.next(self.${after})`, decorators());
    }
    current = after;
  }
  body(e, 'end', 'The end.', 'print("finished")', []);
  e.lines.push('');
  e.lines.push('if __name__ == "__main__":');
  e.lines.push('    GeneratedFlow()');
  return `${e.lines.join('\n')}\n`;
}
