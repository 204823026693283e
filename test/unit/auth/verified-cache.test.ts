import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../../server/auth/passwords.js';
import { VerifiedCache } from '../../../server/auth/verified-cache.js';

test('concurrent checks of one credential share one scrypt; the next login costs none', async () => {
  const cache = new VerifiedCache();
  const hash = await hashPassword('right horse battery', 'device');
  let scrypts = 0;
  const check = (password: string) => cache.verify('app', hash, password, () => (scrypts++, verifyPassword(password, hash)));
  const answers = await Promise.all(Array.from({ length: 50 }, () => check('right horse battery')));
  assert.deepEqual(new Set(answers), new Set([true]));
  assert.equal(scrypts, 1);
  assert.equal(await check('right horse battery'), true);
  assert.equal(scrypts, 1);
});

test('a wrong password is never remembered, and waits for its own scrypt beside a right one', async () => {
  const cache = new VerifiedCache();
  const hash = await hashPassword('right horse battery', 'device');
  let scrypts = 0;
  const check = (password: string) => cache.verify('app', hash, password, () => (scrypts++, verifyPassword(password, hash)));
  const [right, wrong] = await Promise.all([check('right horse battery'), check('wrong horse battery')]);
  assert.deepEqual([right, wrong], [true, false]);
  assert.equal(await check('wrong horse battery'), false);
  assert.equal(scrypts, 3);
});

test('a changed hash (rotated, set from the CLI) is checked again', async () => {
  const cache = new VerifiedCache();
  const old = await hashPassword('first', 'device');
  const next = await hashPassword('second', 'device');
  assert.equal(await cache.verify('dev', old, 'first', () => verifyPassword('first', old)), true);
  assert.equal(cache.known('dev', old, 'first'), true);
  assert.equal(cache.known('dev', next, 'first'), false);
  assert.equal(await cache.verify('dev', next, 'first', () => verifyPassword('first', next)), false);
  cache.forget('dev');
  assert.equal(cache.known('dev', old, 'first'), false);
});

test('a check whose slot refuses it (its address throttled, its wait too long) does not refuse the logins sharing it', async () => {
  const cache = new VerifiedCache();
  const hash = await hashPassword('right horse battery', 'device');
  let scrypts = 0;
  const scrypt = () => (scrypts++, verifyPassword('right horse battery', hash));
  // The first login's slot refuses it after a while; the second login joined its check meanwhile.
  const refusing = <T>(): Promise<T> => new Promise((_, reject) => setTimeout(() => reject(new Error('throttled')), 20));
  const first = cache.verify('app', hash, 'right horse battery', scrypt, refusing);
  const second = cache.verify('app', hash, 'right horse battery', scrypt);
  await assert.rejects(first, /throttled/);
  assert.equal(await second, true, 'the second login took a turn of its own');
  assert.equal(scrypts, 1);
});

test('a login goes on past a changed row only when the new hash is one the cache knows for its password (a resalt)', () => {
  const cache = new VerifiedCache();
  assert.equal(cache.stillHolds('plug', 'hash-1', 'hash-1', 'pw'), true, 'the same row');
  assert.equal(cache.stillHolds('plug', 'hash-1', 'hash-2', 'pw'), false, 'a new hash nobody remembered: a changed password');
  cache.remember('plug', 'hash-2', 'pw');
  assert.equal(cache.stillHolds('plug', 'hash-1', 'hash-2', 'pw'), true, 'the resalt remembered it for this password');
  assert.equal(cache.stillHolds('plug', 'hash-1', 'hash-2', 'another'), false, 'not for another password');
  cache.forget('plug');
  assert.equal(cache.stillHolds('plug', 'hash-1', 'hash-2', 'pw'), false, 'forgotten when the password was set');
});
