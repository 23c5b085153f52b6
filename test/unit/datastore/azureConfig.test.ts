// The Azure datastore's settings are validated with Metaflow's rules, and each refusal shows the value,
// where it came from and the rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { MetaflowConfig } from '../../../src/config/metaflowConfig';
import { AzureConfigError, azureDatastoreConfig, datastoreKind, parseAzurePath, parseBlobEndpoint } from '../../../src/datastore/azure/azureConfig';

function config(env: Record<string, string>, settings?: Record<string, string>, projectConfig?: Record<string, string>): MetaflowConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-azcfg-'));
  if (projectConfig) {
    fs.mkdirSync(path.join(dir, '.metaflow'));
    fs.writeFileSync(path.join(dir, '.metaflow', 'config.json'), JSON.stringify(projectConfig));
  }
  return MetaflowConfig.load({ env, startDir: dir, homeDir: dir, settings });
}

const ENDPOINT = 'https://acct01.blob.core.windows.net/';

describe('Azure sysroot rules', () => {
  it('accepts a container alone and a container with a nested prefix, unchanged', () => {
    assert.deepEqual(parseAzurePath('mfdata', 'X'), { container: 'mfdata' });
    assert.deepEqual(parseAzurePath('mfdata/team/a.b', 'X'), { container: 'mfdata', prefix: 'team/a.b' });
  });

  for (const [value, rule] of [
    ['mfdata/prefix/', /ends with "\/".*no trailing slash/],
    ['/mfdata/prefix', /starts with "\/".*no leading slash/],
    ['mfdata//prefix', /contains "\/\/".*single slashes/],
    ['/', /ends with "\/"/],
  ] as const) {
    it(`refuses "${value}" with the value and the rule`, () => {
      assert.throws(() => parseAzurePath(value, 'METAFLOW_DATASTORE_SYSROOT_AZURE'), (err: Error) => {
        assert.ok(err instanceof AzureConfigError);
        assert.ok(err.message.includes(`METAFLOW_DATASTORE_SYSROOT_AZURE="${value}"`), err.message);
        assert.match(err.message, rule);
        assert.match(err.message, /<container>\[\/<blob prefix>\]/);
        return true;
      });
    });
  }

  it('refuses an empty container', () => {
    assert.throws(() => parseAzurePath('', 'S'), /S="" has an empty container/);
  });
});

describe('blob endpoint', () => {
  it('takes the account from the host, or from the path of an emulator endpoint', () => {
    assert.deepEqual(parseBlobEndpoint(ENDPOINT, 'E'), { endpoint: 'https://acct01.blob.core.windows.net', account: 'acct01' });
    assert.deepEqual(parseBlobEndpoint('http://127.0.0.1:10000/devstoreaccount1', 'E'), { endpoint: 'http://127.0.0.1:10000/devstoreaccount1', account: 'devstoreaccount1' });
  });

  it('refuses what is not an endpoint, and SAS tokens (access is role-based)', () => {
    assert.throws(() => parseBlobEndpoint('acct01', 'E'), /E="acct01" is not a URL/);
    assert.throws(() => parseBlobEndpoint('ftp://acct01.blob.core.windows.net', 'E'), /must be an https:\/\/ blob endpoint/);
    assert.throws(() => parseBlobEndpoint(`${ENDPOINT}?sv=2024&sig=abc`, 'E'), /no SAS tokens or keys/);
    assert.throws(() => parseBlobEndpoint('http://127.0.0.1:10000/', 'E'), /names no storage account/);
  });
});

describe('azureDatastoreConfig', () => {
  it('reads env names, derives the card and data roots from the sysroot', () => {
    const c = azureDatastoreConfig(config({ METAFLOW_DATASTORE_SYSROOT_AZURE: 'mfdata/studio', METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT }));
    assert.equal(c.account, 'acct01');
    assert.deepEqual(c.root, { container: 'mfdata', prefix: 'studio' });
    assert.equal(c.cardRoot, 'mfdata/studio/mf.cards');
    assert.equal(c.datatoolsRoot, 'mfdata/studio/data');
  });

  it('takes the metaflow.* editor settings below env and config files', () => {
    const settings = { METAFLOW_DATASTORE_SYSROOT_AZURE: 'fromsettings', METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT, METAFLOW_CARD_AZUREROOT: 'cards/x' };
    assert.equal(azureDatastoreConfig(config({}, settings)).sysroot, 'fromsettings');
    assert.equal(azureDatastoreConfig(config({}, settings)).cardRoot, 'cards/x');
    assert.equal(azureDatastoreConfig(config({}, settings, { METAFLOW_DATASTORE_SYSROOT_AZURE: 'fromproject' })).sysroot, 'fromproject');
    assert.equal(azureDatastoreConfig(config({ METAFLOW_DATASTORE_SYSROOT_AZURE: 'fromenv' }, settings, { METAFLOW_DATASTORE_SYSROOT_AZURE: 'fromproject' })).sysroot, 'fromenv');
  });

  it('names where a bad value came from', () => {
    assert.throws(
      () => azureDatastoreConfig(config({ METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT }, undefined, { METAFLOW_DATASTORE_SYSROOT_AZURE: 'mfdata/' })),
      /METAFLOW_DATASTORE_SYSROOT_AZURE in .*config\.json="mfdata\/" ends with/,
    );
    assert.throws(() => azureDatastoreConfig(config({ METAFLOW_DATASTORE_SYSROOT_AZURE: '/x', METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT })), /\(environment\)="\/x" starts with/);
    assert.throws(
      () => azureDatastoreConfig(config({ METAFLOW_DATASTORE_SYSROOT_AZURE: 'ok', METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT, METAFLOW_CARD_AZUREROOT: 'cards//x' })),
      /METAFLOW_CARD_AZUREROOT \(environment\)="cards\/\/x" contains "\/\/"/,
    );
  });

  it('a missing sysroot or endpoint says what to set', () => {
    assert.throws(() => azureDatastoreConfig(config({ METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: ENDPOINT })), /METAFLOW_DATASTORE_SYSROOT_AZURE is not set/);
    assert.throws(() => azureDatastoreConfig(config({ METAFLOW_DATASTORE_SYSROOT_AZURE: 'x' })), /Must configure METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT/);
  });

  it('METAFLOW_DEFAULT_DATASTORE picks local or azure and refuses others', () => {
    assert.equal(datastoreKind(config({})), 'local');
    assert.equal(datastoreKind(config({ METAFLOW_DEFAULT_DATASTORE: 'azure' })), 'azure');
    assert.equal(datastoreKind(config({}, { METAFLOW_DEFAULT_DATASTORE: 'azure' })), 'azure');
    assert.throws(() => datastoreKind(config({ METAFLOW_DEFAULT_DATASTORE: 's3' })), /METAFLOW_DEFAULT_DATASTORE \(environment\)="s3" is not a datastore .*"local" or "azure"/);
  });
});
