// Where the flow fixture corpus lives, for the flow tests.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FLOW_FIXTURES = resolve(__dirname, '../../fixtures/flows');

export function fixtureFiles(): string[] {
  return readdirSync(FLOW_FIXTURES).filter((f) => f.endsWith('.py')).sort().map((f) => join(FLOW_FIXTURES, f));
}
