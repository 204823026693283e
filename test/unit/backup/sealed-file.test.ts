import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/hub.js';
import { formatKey, keyId, parseKey } from '../../../server/backup/kit.js';
import { readHeader, seal, unseal } from '../../../server/backup/sealed-file.js';
import { removeWhenDone } from '../../helpers/remove-when-done.js';

const header = { createdAt: 1, rumahVersion: 'test', schema: { rumah: 1, broker: 1 } };
const MiB = 1024 * 1024;

function sealed(t: { after: (fn: () => void) => void }, size: number): Promise<{ dir: string; plain: Buffer; file: string; key: Buffer }> {
  const dir = tempDir('rumah-sealed-');
  removeWhenDone(dir);
  const plain = crypto.randomBytes(size);
  fs.writeFileSync(path.join(dir, 'plain'), plain);
  const key = crypto.randomBytes(32);
  const file = path.join(dir, 'sealed');
  return seal(path.join(dir, 'plain'), file, { ...header, keyId: keyId(key) }, key).then(() => ({ dir, plain, file, key }));
}

test('a file of several chunks comes back byte for byte, and reports progress', async (t) => {
  const { dir, plain, file, key } = await sealed(t, 3 * MiB + 123);
  const seen: number[] = [];
  await unseal(file, path.join(dir, 'out'), key, (done) => seen.push(done));
  assert.ok(fs.readFileSync(path.join(dir, 'out')).equals(plain));
  assert.equal(seen.length, 4, 'one report per chunk');
  assert.equal(readHeader(file).header.schema.rumah, 1);
});

test('cut exactly at a chunk boundary, a file is refused as truncated (no chunk marked final)', async (t) => {
  const { dir, file, key } = await sealed(t, 3 * MiB);
  const { offset } = readHeader(file);
  // Header, then two whole chunks of 5 + 1 MiB + 16 bytes each: a file that ends cleanly after chunk 2.
  const cut = path.join(dir, 'cut');
  fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, offset + 2 * (5 + MiB + 16)));
  await assert.rejects(unseal(cut, path.join(dir, 'out'), key), /truncated/);
});

test('a chunk marked final out of place, an edited header, a wrong key: each fails its tag', async (t) => {
  const { dir, file, key } = await sealed(t, 2 * MiB);
  const bytes = fs.readFileSync(file);
  const { offset } = readHeader(file);
  const flagged = Buffer.from(bytes);
  flagged[offset] = 1; // chunk 0 claims to be the last
  fs.writeFileSync(path.join(dir, 'flagged'), flagged);
  await assert.rejects(unseal(path.join(dir, 'flagged'), path.join(dir, 'out'), key), /authentication tag/);
  const edited = Buffer.from(bytes.toString('latin1').replace('"rumah":1', '"rumah":0'), 'latin1');
  fs.writeFileSync(path.join(dir, 'edited'), edited);
  await assert.rejects(unseal(path.join(dir, 'edited'), path.join(dir, 'out'), key), /authentication tag/);
  await assert.rejects(unseal(file, path.join(dir, 'out'), crypto.randomBytes(32)), /authentication tag/);
});

test('the key as written down reads back, whatever the case, spaces or look-alike digits', () => {
  const key = crypto.randomBytes(32);
  const text = formatKey(key);
  assert.match(text, /^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
  assert.ok(parseKey(text).equals(key));
  assert.ok(parseKey(text.toLowerCase().replace(/-/g, ' ')).equals(key));
  assert.ok(parseKey(text.replace(/O/g, '0').replace(/I/g, '1')).equals(key));
  assert.throws(() => parseKey('ABCD-EFGH'), /52 letters/);
});
