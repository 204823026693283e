import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, hasLegacySalt, randomSecret, resalted, sha256, verifyPassword } from '../../../server/auth/passwords.js';
import { scryptEngine } from '../../../server/auth/scrypt-kdf.js';
import { legacyHash } from '../../helpers/legacy-hash.js';

test('hashPassword stores scrypt parameters, salt and key, never the password', async () => {
  const stored = await hashPassword('correct horse');
  assert.ok(stored.startsWith('scrypt$16384$8$1$'), stored);
  assert.ok(!stored.includes('correct horse'));
  const [, , , , salt, key] = stored.split('$');
  assert.equal(Buffer.from(salt!, 'base64').length, 32, 'the salt libsodium takes (scrypt-kdf.ts)');
  assert.equal(Buffer.from(key!, 'base64').length, 32);
  assert.notEqual(await hashPassword('correct horse'), stored, 'each hash has its own salt');
});

test('a device password is hashed at the device cost and verifies like any other', async () => {
  const stored = await hashPassword('device secret', 'device');
  assert.ok(stored.startsWith('scrypt$2048$8$1$'), stored);
  assert.equal(await verifyPassword('device secret', stored), true);
  assert.equal(await verifyPassword('device secreT', stored), false);
  assert.equal(await verifyPassword('device secret', undefined, 'device'), false);
});

test('verifyPassword accepts the right password and refuses others', async () => {
  const stored = await hashPassword('correct horse');
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsE', stored), false);
  assert.equal(await verifyPassword('', stored), false);
  assert.equal(await verifyPassword('correct horse', undefined), false);
});

test('verifyPassword refuses malformed and abusive stored strings without throwing', async () => {
  const stored = await hashPassword('pw');
  const parts = stored.split('$');
  assert.equal(await verifyPassword('pw', 'plain'), false);
  assert.equal(await verifyPassword('pw', ['bcrypt', ...parts.slice(1)].join('$')), false);
  assert.equal(await verifyPassword('pw', [parts[0], String(1 << 30), ...parts.slice(2)].join('$')), false);
  assert.equal(await verifyPassword('pw', [parts[0], '1000', ...parts.slice(2)].join('$')), false);
});

test('randomSecret is base64url of the asked length; sha256 is hex and stable', () => {
  const s = randomSecret(32);
  assert.match(s, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(randomSecret(32), s);
  assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('no generated secret starts with "-", which a command line would take for an option', () => {
  // One in 64 did: 5,000 draws without one had a chance of (63/64)^5000, about 1e-34.
  const starts = new Set(Array.from({ length: 5000 }, () => randomSecret(32)[0]));
  assert.equal(starts.has('-'), false);
  assert.ok(starts.has('_') && starts.has('A'), 'the other first characters still come');
});

test('a hash stored with a 16-byte salt still verifies, and is told apart for a rewrite with the same parameters', async () => {
  const old = legacyHash('old secret');
  assert.equal(await verifyPassword('old secret', old), true);
  assert.equal(await verifyPassword('old secreT', old), false);
  const libsodium = scryptEngine() === 'libsodium';
  assert.equal(hasLegacySalt(old), libsodium, 'only worth a rewrite where libsodium hashes');
  assert.equal(hasLegacySalt(await hashPassword('new secret', 'device')), false);
  assert.equal(hasLegacySalt(old.replace('$8$1$', '$8$2$')), false, 'p 2 runs on OpenSSL whatever its salt');
  const next = await resalted('old secret', old);
  assert.ok(next.startsWith('scrypt$2048$8$1$'), next);
  assert.equal(Buffer.from(next.split('$')[4]!, 'base64').length, 32);
  assert.equal(await verifyPassword('old secret', next), true);
  assert.equal(hasLegacySalt(next), false);
});
