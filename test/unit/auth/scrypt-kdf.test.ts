import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { FAST_SALT_BYTES, scryptAsync, scryptEngine, scryptSync } from '../../../server/auth/scrypt-kdf.js';

const maxmem = 64 * 1024 * 1024;

test('this install hashes on libsodium when sodium-native is installed, else on OpenSSL', () => {
  let installed = true;
  try {
    createRequire(import.meta.url).resolve('sodium-native');
  } catch {
    installed = false;
  }
  assert.equal(scryptEngine(), installed ? 'libsodium' : 'openssl');
});

test('with a 32-byte salt, both costs give exactly the key OpenSSL gives, on a thread and on libuv', async () => {
  for (const N of [2048, 16384]) {
    const salt = crypto.randomBytes(FAST_SALT_BYTES);
    const password = `pässwörd ✓ ${N}`;
    const openssl = crypto.scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem });
    assert.deepEqual(scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem }), openssl, `N ${N}, sync`);
    assert.deepEqual(await scryptAsync(password, salt, 32, { N, r: 8, p: 1, maxmem }), openssl, `N ${N}, async`);
  }
});

test('what libsodium cannot take (16-byte salts, other r or p, an empty password, a small N) still hashes, on OpenSSL', async () => {
  const cases: Array<[string, number, number, number, number]> = [
    ['a 16-byte salt', 16, 2048, 8, 1],
    ['r 4', 32, 2048, 4, 1],
    ['p 2', 32, 2048, 8, 2],
    ['', 32, 2048, 8, 1],
    ['N 512', 32, 512, 8, 1],
  ];
  for (const [password, saltBytes, N, r, p] of cases) {
    const salt = crypto.randomBytes(saltBytes);
    const openssl = crypto.scryptSync(password, salt, 32, { N, r, p, maxmem });
    assert.deepEqual(scryptSync(password, salt, 32, { N, r, p, maxmem }), openssl, password || 'empty password');
    assert.deepEqual(await scryptAsync(password, salt, 32, { N, r, p, maxmem }), openssl, password || 'empty password');
  }
});
