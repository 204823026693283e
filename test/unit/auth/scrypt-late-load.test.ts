import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// libsodium is loaded a second after the event loop's first hash, not in its way (server/auth/scrypt-kdf.ts): the
// first hash runs on OpenSSL and gives the same key. In a process of its own, since this one may have loaded it.
const kdf = fileURLToPath(new URL('../../../server/auth/scrypt-kdf.js', import.meta.url));
const probe = `
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
const { scryptAsync, scryptEngine } = await import(${JSON.stringify(kdf)});
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('sodium-native'));
const salt = crypto.randomBytes(32);
const params = { N: 2048, r: 8, p: 1, maxmem: 32 << 20 };
const key = await scryptAsync('pässwörd', salt, 32, params);
const same = key.equals(crypto.scryptSync('pässwörd', salt, 32, params));
const afterFirst = loaded();
await new Promise((r) => setTimeout(r, 1300));
console.log(JSON.stringify({ same, afterFirst, later: loaded(), engine: scryptEngine() }));
`;

let installed = true;
try {
  createRequire(import.meta.url).resolve('sodium-native');
} catch {
  installed = false;
}

test('the first hash on the event loop does not load libsodium; it is loaded a second later', { skip: !installed && 'sodium-native is not installed' }, async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', probe], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
  const seen = JSON.parse(out) as { same: boolean; afterFirst: boolean; later: boolean; engine: string };
  assert.equal(seen.same, true, 'the first key is scrypt\'s');
  assert.equal(seen.afterFirst, false, 'sodium-native not loaded by the first hash');
  assert.equal(seen.later, true, 'loaded a second after it');
  assert.equal(seen.engine, 'libsodium');
});
