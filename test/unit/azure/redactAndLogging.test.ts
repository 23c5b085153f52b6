// Azure SDK logging: errors only by default, verbose with the debug setting, every line redacted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientLogger, getLogLevel } from '@azure/logger';
import { AzureSdkLogging } from '../../../src/azure/azureSdkLogging';
import { REDACTED, redactSecrets } from '../../../src/azure/redact';

const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJlLXBhcnQ';

test('tokens, bearer headers and named secrets are redacted', () => {
  const text = `Authorization: Bearer abc.def.ghi token ${JWT} {"access_token":"zzz","expires_in":3599} client_secret=s3cr3t&scope=x sig=AbC%2F`;
  const out = redactSecrets(text);
  assert.ok(!out.includes(JWT));
  assert.ok(!out.includes('abc.def.ghi'));
  assert.ok(!out.includes('zzz'));
  assert.ok(!out.includes('s3cr3t'));
  assert.ok(!out.includes('AbC%2F'));
  assert.match(out, /"expires_in":3599/);
  assert.match(out, /scope=x/);
  assert.equal(redactSecrets('run secret-value-123456 here', ['secret-value-123456']), `run ${REDACTED} here`);
});

test('quiet by default, verbose on request, redacted always, restored on dispose', () => {
  const before = getLogLevel();
  const lines: string[] = [];
  const logging = new AzureSdkLogging((l) => lines.push(l), () => ['per-run-secret-abcdef']);
  try {
    const logger = createClientLogger('identity');
    logger.info('an info line');
    logger.error(`failed with Bearer ${JWT} and per-run-secret-abcdef`);
    assert.equal(logging.level, 'error');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes(JWT));
    assert.ok(!lines[0]?.includes('per-run-secret-abcdef'));
    logging.setDebug(true);
    logger.verbose('a verbose line');
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? '', /a verbose line/);
  } finally {
    logging.dispose();
  }
  assert.equal(getLogLevel(), before);
});
