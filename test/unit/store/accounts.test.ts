import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import type { HashSlot } from '../../../server/auth/passwords.js';
import { openTestStore } from './helpers.js';

const isCode = (code: string) => (err: unknown) => err instanceof RumahError && err.code === code;

test('create returns a generated password once and stores only its scrypt hash', async (t) => {
  const store = await openTestStore(t);
  const password = await store.accounts.create('sensor-1', 'device', 1234);
  assert.ok(password.length >= 32, password);
  const row = await store.db.get<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE username = ?', ['sensor-1']);
  assert.ok(row!.password_hash.startsWith('scrypt$2048$8$1$'), 'a device password has the device cost');
  assert.ok(!row!.password_hash.includes(password));
  assert.deepEqual(await store.accounts.verify('sensor-1', password), { username: 'sensor-1', kind: 'device', createdAt: 1234 });
  assert.equal(await store.accounts.verify('sensor-1', password + 'x'), undefined);
  assert.equal(await store.accounts.verify('nobody', password), undefined);
  assert.notEqual(await store.accounts.create('sensor-2', 'device'), password);
});

test('a duplicate username is a CONFLICT; an empty one a BAD_REQUEST', async (t) => {
  const store = await openTestStore(t);
  await store.accounts.create('a', 'device');
  await assert.rejects(store.accounts.create('a', 'admin'), isCode(ErrorCodes.CONFLICT));
  await assert.rejects(store.accounts.create('', 'admin'), isCode(ErrorCodes.BAD_REQUEST));
});

test('revoke refuses further logins, even right after a successful one', async (t) => {
  const store = await openTestStore(t);
  const password = await store.accounts.create('a', 'device');
  assert.ok(await store.accounts.verify('a', password)); // now remembered
  await store.accounts.revoke('a', 5000);
  assert.equal(await store.accounts.verify('a', password), undefined);
  assert.equal((await store.accounts.get('a'))?.revokedAt, 5000);
  assert.equal(await store.accounts.exists('a'), true);
  await assert.rejects(store.accounts.revoke('nobody'), isCode(ErrorCodes.NOT_FOUND));
});

test('rotate issues a new password, the old one stops working, and re-enables the account', async (t) => {
  const store = await openTestStore(t);
  const old = await store.accounts.create('a', 'device');
  assert.ok(await store.accounts.verify('a', old));
  await store.accounts.revoke('a');
  const fresh = await store.accounts.rotate('a');
  assert.notEqual(fresh, old);
  assert.equal(await store.accounts.verify('a', old), undefined);
  assert.equal((await store.accounts.verify('a', fresh))?.username, 'a');
  await assert.rejects(store.accounts.rotate('nobody'), isCode(ErrorCodes.NOT_FOUND));
});

test('a change of the row by another process (CLI) is seen at the next verify', async (t) => {
  const store = await openTestStore(t);
  const password = await store.accounts.create('a', 'device');
  assert.ok(await store.accounts.verify('a', password));
  const other = (await store.db.get<{ password_hash: string }>("SELECT password_hash FROM accounts WHERE username = 'b'")) ?? undefined;
  assert.equal(other, undefined);
  // Simulate `rumah accounts set a other-password` from the CLI: a different hash in the row.
  await store.accounts.set('b', 'other-password', 'device');
  const newHash = (await store.db.get<{ password_hash: string }>("SELECT password_hash FROM accounts WHERE username = 'b'"))!.password_hash;
  await store.db.run("UPDATE accounts SET password_hash = ? WHERE username = 'a'", [newHash]);
  assert.equal(await store.accounts.verify('a', password), undefined);
  assert.ok(await store.accounts.verify('a', 'other-password'));
});

test('set creates or replaces with a chosen password; list shows accounts without hashes', async (t) => {
  const store = await openTestStore(t);
  await store.accounts.set('admin', 'first', 'admin', 10);
  await store.accounts.set('admin', 'second', 'admin', 20);
  const hashOf = async (u: string) => (await store.db.get<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE username = ?', [u]))!.password_hash;
  assert.match(await hashOf('admin'), /^scrypt\$16384\$/, 'a chosen admin password is a person\'s: full cost');
  assert.equal(await store.accounts.verify('admin', 'first'), undefined);
  assert.deepEqual(await store.accounts.verify('admin', 'second'), { username: 'admin', kind: 'admin', createdAt: 10 });
  await store.accounts.create('dev', 'device', 30);
  await store.accounts.revoke('dev', 40);
  assert.deepEqual(await store.accounts.list(), [
    { username: 'admin', kind: 'admin', createdAt: 10 },
    { username: 'dev', kind: 'device', createdAt: 30, revokedAt: 40 },
  ]);
  assert.equal(await store.accounts.exists('ghost'), false);
});

test('verifyCached answers only for a password verified before against the current hash, and never for a revoked account', async (t) => {
  const store = await openTestStore(t);
  const password = await store.accounts.create('cached-1', 'device', 5);
  assert.equal(await store.accounts.verifyCached('cached-1', password), undefined, 'not verified yet: verify() must decide');
  await store.accounts.verify('cached-1', password);
  assert.deepEqual(await store.accounts.verifyCached('cached-1', password), { username: 'cached-1', kind: 'device', createdAt: 5 });
  assert.equal(await store.accounts.verifyCached('cached-1', password + 'x'), undefined);
  await store.accounts.revoke('cached-1');
  assert.equal(await store.accounts.verifyCached('cached-1', password), undefined);
  const rotated = await store.accounts.rotate('cached-1');
  await store.accounts.verify('cached-1', rotated);
  assert.equal(await store.accounts.verifyCached('cached-1', password), undefined, 'the old password is gone');
});

// Only the hash waits for a slot of the login gate; the row is read before it (server/store/accounts-repo.ts). A
// change made while the login waited for its turn must count as if it had come first.
test('an account revoked, or its password changed by another process, while the login waits for its hash is refused', async (t) => {
  const store = await openTestStore(t);
  const password = await store.accounts.create('lamp', 'device');
  const revokeFirst: HashSlot = async (work) => {
    await store.accounts.revoke('lamp');
    return work();
  };
  assert.equal(await store.accounts.verify('lamp', password, { slot: revokeFirst }), undefined);

  const fresh = await store.accounts.rotate('lamp');
  await store.accounts.set('other', 'other-password', 'device');
  const otherHash = (await store.db.get<{ password_hash: string }>("SELECT password_hash FROM accounts WHERE username = 'other'"))!.password_hash;
  // As `rumah devices rotate` from the CLI would, on its own connection: the hub is not told.
  const rotateFirst: HashSlot = async (work) => {
    await store.db.run("UPDATE accounts SET password_hash = ? WHERE username = 'lamp'", [otherHash]);
    return work();
  };
  assert.equal(await store.accounts.verify('lamp', fresh, { slot: rotateFirst }), undefined);
  assert.equal((await store.accounts.verify('lamp', 'other-password'))?.username, 'lamp', 'the new password is the one that works');
});

test('logins of many accounts at once: each gets its own row; right passwords in, wrong and revoked out', async (t) => {
  const store = await openTestStore(t);
  const passwords = await Promise.all(Array.from({ length: 12 }, (_, i) => store.accounts.create(`dev-${i}`, 'device')));
  await store.accounts.revoke('dev-11');
  const answers = await Promise.all([
    ...passwords.map((p, i) => store.accounts.verify(`dev-${i}`, p)),
    ...passwords.map((p, i) => store.accounts.verify(`dev-${i}`, `${p}x`)),
    store.accounts.verify('nobody', passwords[0]!),
  ]);
  assert.deepEqual(answers.slice(0, 12).map((a) => a?.username), [...Array.from({ length: 11 }, (_, i) => `dev-${i}`), undefined]);
  assert.deepEqual(answers.slice(12), Array.from({ length: 13 }, () => undefined));
});
