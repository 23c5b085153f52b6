import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { compressList, decompressList } from '../../../src/runtime/inputPaths';

describe('input-path compression (compress_list)', () => {
  it('keeps one path as it is', () => {
    assert.equal(compressList(['1795/_parameters/0']), '1795/_parameters/0');
  });

  it('uses the common-prefix form for several paths', () => {
    assert.equal(compressList(['1795/body/2', '1795/body/3', '1795/body/4']), '1795/body/:2,3,4');
  });

  it('joins paths without a common prefix with commas', () => {
    assert.equal(compressList(['a/x/1', 'b/y/2']), 'a/x/1,b/y/2');
  });

  it('zlib-compresses twice and base64-encodes from 500 characters on, and round-trips', () => {
    const paths = Array.from({ length: 300 }, (_, i) => `1795247031925479/body/${i + 2}`);
    const text = compressList(paths);
    assert.equal(text[0], '!');
    const inner = zlib.inflateSync(zlib.inflateSync(Buffer.from(text.slice(1), 'base64'))).toString();
    assert.ok(inner.startsWith('1795247031925479/body/:'));
    assert.deepEqual(decompressList(text), paths);
  });

  it('refuses items holding a delimiter', () => {
    assert.throws(() => compressList(['a,b']), /delimiter/);
  });
});
