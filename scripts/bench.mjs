// `npm run bench`: runs every bench/*.bench.ts in turn; each prints its figures as JSON lines.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
let failed = 0;
for (const file of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `bench/${file}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.error(`bench/${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
