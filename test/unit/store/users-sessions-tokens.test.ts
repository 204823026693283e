import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '../../../server/auth/passwords.js';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import { openTestStore } from './helpers.js';

const isCode = (code: string) => (err: unknown) => err instanceof RumahError && err.code === code;

test('users: create, verify, get, count, list, conflict', async (t) => {
  const store = await openTestStore(t);
  assert.equal(await store.users.count(), 0);
  assert.deepEqual(await store.users.create('ann', 'pw-ann', 'admin', 1), { username: 'ann', role: 'admin', createdAt: 1 });
  await store.users.create('bob', 'pw-bob', 'member', 2);
  await assert.rejects(store.users.create('ann', 'x', 'member'), isCode(ErrorCodes.CONFLICT));
  assert.equal(await store.users.count(), 2);
  assert.deepEqual(await store.users.verify('ann', 'pw-ann'), { username: 'ann', role: 'admin', createdAt: 1 });
  assert.equal(await store.users.verify('ann', 'pw-bob'), undefined);
  assert.equal(await store.users.verify('carl', 'pw-ann'), undefined);
  assert.equal((await store.users.get('bob'))?.role, 'member');
  assert.equal(await store.users.get('carl'), undefined);
  assert.deepEqual((await store.users.list()).map((u) => u.username), ['ann', 'bob']);
  const row = await store.db.get<{ password_hash: string }>("SELECT password_hash FROM users WHERE username = 'ann'");
  assert.ok(row!.password_hash.startsWith('scrypt$') && !row!.password_hash.includes('pw-ann'));
});

test('users: setPassword replaces the password; unknown user is NOT_FOUND', async (t) => {
  const store = await openTestStore(t);
  await store.users.create('ann', 'old', 'admin');
  await store.users.setPassword('ann', 'new');
  assert.equal(await store.users.verify('ann', 'old'), undefined);
  assert.ok(await store.users.verify('ann', 'new'));
  await assert.rejects(store.users.setPassword('carl', 'x'), isCode(ErrorCodes.NOT_FOUND));
});

test('sessions: token works until it expires; only its sha256 is stored', async (t) => {
  const store = await openTestStore(t);
  await store.users.create('ann', 'pw', 'admin');
  const token = await store.sessions.create('ann', 60_000, 1000);
  assert.deepEqual(await store.sessions.get(token, 2000), { username: 'ann', createdAt: 1000, expiresAt: 61_000 });
  assert.equal(await store.sessions.get(token, 61_000), undefined, 'expired');
  assert.equal(await store.sessions.get(token + 'x', 2000), undefined);
  const rows = await store.db.all<{ token_hash: string }>('SELECT token_hash FROM sessions');
  assert.deepEqual(rows, [{ token_hash: sha256(token) }]);
  await assert.rejects(store.sessions.create('carl', 1000), isCode(ErrorCodes.NOT_FOUND));
});

test('sessions: remove, removeForUser, purgeExpired, and deleting the user ends them', async (t) => {
  const store = await openTestStore(t);
  await store.users.create('ann', 'pw', 'admin');
  await store.users.create('bob', 'pw', 'member');
  const a1 = await store.sessions.create('ann', 1000, 0);
  const a2 = await store.sessions.create('ann', 10_000, 0);
  const b1 = await store.sessions.create('bob', 10_000, 0);
  assert.equal(await store.sessions.remove(a2), true);
  assert.equal(await store.sessions.remove(a2), false);
  assert.equal(await store.sessions.purgeExpired(5000), 1); // a1
  assert.equal(await store.sessions.get(a1, 500), undefined);
  assert.ok(await store.sessions.get(b1, 500));
  await store.users.remove('bob');
  assert.equal(await store.sessions.get(b1, 500), undefined);
  await store.sessions.create('ann', 10_000, 0);
  assert.equal(await store.sessions.removeForUser('ann'), 1);
});

test('api tokens: create once per name, verify, list with last use, remove', async (t) => {
  const store = await openTestStore(t);
  const token = await store.apiTokens.create('grafana', 100);
  await assert.rejects(store.apiTokens.create('grafana'), isCode(ErrorCodes.CONFLICT));
  assert.deepEqual(await store.apiTokens.list(), [{ name: 'grafana', scope: 'admin', createdAt: 100 }]);
  assert.deepEqual(await store.apiTokens.verify(token, 5000), { name: 'grafana', scope: 'admin' });
  assert.equal(await store.apiTokens.verify(token.slice(1), 5000), undefined);
  assert.deepEqual(await store.apiTokens.list(), [{ name: 'grafana', scope: 'admin', createdAt: 100, lastUsedAt: 5000 }]);
  await store.apiTokens.verify(token, 6000); // within a minute: not rewritten
  assert.equal((await store.apiTokens.list())[0]?.lastUsedAt, 5000);
  const rows = await store.db.all('SELECT token_hash FROM api_tokens');
  assert.deepEqual(rows, [{ token_hash: sha256(token) }]);
  assert.equal(await store.apiTokens.remove('grafana'), true);
  assert.equal(await store.apiTokens.verify(token), undefined);
});
