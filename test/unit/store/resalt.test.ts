import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { scryptEngine } from '../../../server/auth/scrypt-kdf.js';
import type { Database } from '../../../server/store/database.js';
import { legacyHash } from '../../helpers/legacy-hash.js';
import { openTestStore } from './helpers.js';

// Hashes stored before 2026-12-07 have 16-byte salts; libsodium's faster scrypt takes 32 (server/auth/resalt.ts).
const onLibsodium = { skip: scryptEngine() !== 'libsodium' && 'sodium-native is not installed: nothing to rewrite for' };

async function storedHash(db: Database, table: 'accounts' | 'users', username: string): Promise<string> {
  const row = await db.get<{ password_hash: string }>(`SELECT password_hash FROM ${table} WHERE username = ?`, [username]);
  return row!.password_hash;
}

/** The stored hash once it differs from `before`, or `before` after `ms`. */
async function changedFrom(db: Database, table: 'accounts' | 'users', username: string, before: string, ms = 5000): Promise<string> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const now = await storedHash(db, table, username);
    if (now !== before) return now;
  }
  return before;
}

const saltBytes = (hash: string): number => Buffer.from(hash.split('$')[4]!, 'base64').length;

test('a device account stored with a 16-byte salt gets a 32-byte one after a login, and its password still works', onLibsodium, async (t) => {
  const store = await openTestStore(t);
  const password = 'a device password set in its web page';
  const old = legacyHash(password, 2048);
  await store.accounts.createHashed('old-sensor', old, 'device');
  assert.ok(await store.accounts.verify('old-sensor', password));
  const now = await changedFrom(store.db, 'accounts', 'old-sensor', old);
  assert.notEqual(now, old, 'rewritten after the login');
  assert.ok(now.startsWith('scrypt$2048$8$1$'), `same parameters: ${now}`);
  assert.equal(saltBytes(now), 32);
  assert.equal(store.accounts.resalt.done, 1);
  assert.ok(await store.accounts.verify('old-sensor', password), 'from the cache');
  assert.equal(await store.accounts.verify('old-sensor', password + 'x'), undefined);

  // A new account already has today's salt: its login rewrites nothing.
  const fresh = await store.accounts.create('new-sensor', 'device');
  const freshHash = await storedHash(store.db, 'accounts', 'new-sensor');
  assert.equal(saltBytes(freshHash), 32);
  assert.ok(await store.accounts.verify('new-sensor', fresh));
  assert.equal(await changedFrom(store.db, 'accounts', 'new-sensor', freshHash, 1500), freshHash);
  assert.equal(store.accounts.resalt.done, 1);
});

test('a password set while the rewrite waits wins: the old password stays refused', onLibsodium, async (t) => {
  const store = await openTestStore(t);
  const old = legacyHash('the first password of it', 2048);
  await store.accounts.createHashed('old-sensor', old, 'device');
  assert.ok(await store.accounts.verify('old-sensor', 'the first password of it'));
  await store.accounts.set('old-sensor', 'the second password of it', 'device');
  const set = await storedHash(store.db, 'accounts', 'old-sensor');
  await sleep(1500);
  assert.equal(await storedHash(store.db, 'accounts', 'old-sensor'), set);
  assert.equal(store.accounts.resalt.done, 0);
  assert.equal(await store.accounts.verify('old-sensor', 'the first password of it'), undefined);
  assert.ok(await store.accounts.verify('old-sensor', 'the second password of it'));
});

test('a dashboard user stored with a 16-byte salt is rewritten the same way, at the person cost', onLibsodium, async (t) => {
  const store = await openTestStore(t);
  const old = legacyHash('correct horse battery', 16384);
  await store.db.run('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)', ['ann', old, 'admin', 1]);
  assert.deepEqual(await store.users.verify('ann', 'correct horse battery'), { username: 'ann', role: 'admin', createdAt: 1 });
  const now = await changedFrom(store.db, 'users', 'ann', old);
  assert.ok(now.startsWith('scrypt$16384$8$1$'), now);
  assert.equal(saltBytes(now), 32);
  assert.equal(store.users.resalt.done, 1);
  assert.ok(await store.users.verify('ann', 'correct horse battery'));
  assert.equal(await store.users.verify('ann', 'correct horse batterY'), undefined);
});

test('devices coming back together are all rewritten, one after another', onLibsodium, async (t) => {
  const store = await openTestStore(t);
  const names = ['hall', 'porch', 'attic', 'cellar', 'garage'];
  const olds = names.map((name) => legacyHash(`the password of the ${name} sensor`, 2048));
  for (const [i, name] of names.entries()) await store.accounts.createHashed(name, olds[i]!, 'device');
  const logins = await Promise.all(names.map((name) => store.accounts.verify(name, `the password of the ${name} sensor`)));
  assert.ok(logins.every(Boolean));
  for (const [i, name] of names.entries()) {
    const now = await changedFrom(store.db, 'accounts', name, olds[i]!);
    assert.equal(saltBytes(now), 32, `${name} rewritten`);
  }
  assert.equal(store.accounts.resalt.done, names.length);
});
