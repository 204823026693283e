import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScryptPool } from '../../../server/auth/scrypt-pool.js';

// The pool hashes on libuv one at a time and on threads of its own when many hashes are wanted at once
// (server/auth/scrypt-pool.ts). Whatever path a hash takes, the key must be scrypt's.

const params = { N: 1024, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };
// Non-ASCII among them: a thread gets the password as a string and must encode it as crypto.scrypt does (UTF-8).
const inputs = Array.from({ length: 24 }, (_, i) => ({ password: i % 3 === 0 ? `pässwörd-${i}-🔑` : `password-${i}`, salt: crypto.randomBytes(16) }));
const expected = (i: number): Buffer => crypto.scryptSync(inputs[i]!.password, inputs[i]!.salt, 32, params);

test('one hash at a time runs on libuv and starts no thread', async () => {
  const pool = new ScryptPool({ threads: 2, idleMs: 60_000 });
  for (let i = 0; i < 3; i++) assert.deepEqual(await pool.derive(inputs[i]!.password, inputs[i]!.salt, 32, params), expected(i));
  assert.equal(pool.threads, 0);
  assert.deepEqual(pool.counts, { libuv: 3, threads: 0, threadFailures: 0 });
});

test('two hashes at once run side by side on libuv and start no thread; a third at once starts them', async () => {
  const pool = new ScryptPool({ threads: 2, idleMs: 60_000 });
  try {
    for (let round = 0; round < 3; round++) {
      const keys = await Promise.all(inputs.slice(0, 2).map((x) => pool.derive(x.password, x.salt, 32, params)));
      keys.forEach((key, i) => assert.deepEqual(key, expected(i), `key ${i}`));
    }
    assert.equal(pool.threads, 0, 'two at once: no thread (a first start\'s admin hash and one login, two devices meeting)');
    assert.deepEqual(pool.counts, { libuv: 6, threads: 0, threadFailures: 0 });
    const keys = await Promise.all(inputs.slice(0, 3).map((x) => pool.derive(x.password, x.salt, 32, params)));
    keys.forEach((key, i) => assert.deepEqual(key, expected(i), `key ${i}`));
    assert.equal(pool.threads, 2, 'three at once start the threads');
  } finally {
    pool.stop();
  }
});

test('many hashes at once start the threads, which give the same keys and stop when idle', async () => {
  const pool = new ScryptPool({ threads: 2, idleMs: 200 });
  // The first burst starts the threads; the ones asked while they come up still run on libuv.
  const first = await Promise.all(inputs.map((x) => pool.derive(x.password, x.salt, 32, params)));
  first.forEach((key, i) => assert.deepEqual(key, expected(i), `key ${i}`));
  assert.equal(pool.threads, 2, 'two threads while busy');
  for (let wait = 0; pool.counts.threads === 0 && wait < 100; wait++) {
    const again = await Promise.all(inputs.map((x) => pool.derive(x.password, x.salt, 32, params)));
    again.forEach((key, i) => assert.deepEqual(key, expected(i), `key ${i} again`));
  }
  assert.ok(pool.counts.threads > 0, `hashes went to the threads: ${JSON.stringify(pool.counts)}`);
  for (let wait = 0; pool.threads > 0 && wait < 100; wait++) await sleep(20);
  assert.equal(pool.threads, 0, 'the threads stop once idle');
});

test('hashes a thread still holds when it is stopped finish on libuv with the right key', async () => {
  const pool = new ScryptPool({ threads: 1, idleMs: 60_000 });
  await Promise.all(inputs.slice(0, 3).map((x) => pool.derive(x.password, x.salt, 32, params)));
  for (let wait = 0; wait < 100; wait++) {
    // Wait until the thread is online and takes hashes.
    const before = pool.counts.threads;
    await Promise.all(inputs.slice(0, 3).map((x) => pool.derive(x.password, x.salt, 32, params)));
    if (pool.counts.threads > before) break;
    await sleep(10);
  }
  const held = inputs.map((x) => pool.derive(x.password, x.salt, 32, params));
  const libuvBefore = pool.counts.libuv;
  pool.stop();
  const keys = await Promise.all(held);
  keys.forEach((key, i) => assert.deepEqual(key, expected(i), `key ${i}`));
  assert.ok(pool.counts.libuv > libuvBefore, 'what the stopped thread held was handed to libuv');
  assert.equal(pool.threads, 0);
});

test('idle threads keep no process open: a CLI or a test exits when its hashes are done, not at the idle stop', async () => {
  // What keeps the event loop alive; a thread's message port counted there held every process that had started the
  // threads for the whole idle time (10 s by default), because listening for 'message' refs it again after unref().
  const holding = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
  const before = holding();
  const pool = new ScryptPool({ threads: 2, idleMs: 60_000 });
  try {
    for (let wait = 0; pool.counts.threads === 0 && wait < 100; wait++) {
      await Promise.all(inputs.slice(0, 4).map((x) => pool.derive(x.password, x.salt, 32, params)));
      await sleep(10);
    }
    assert.ok(pool.counts.threads > 0, `hashes went to the threads: ${JSON.stringify(pool.counts)}`);
    assert.equal(pool.threads, 2, 'the threads are still up, waiting for the idle stop');
    assert.equal(holding(), before, `nothing of the idle threads keeps the process: ${process.getActiveResourcesInfo().join(', ')}`);
    // While a hash is on a thread the process is held (a CLI awaiting its hash must not exit).
    const busy = Promise.all(inputs.slice(0, 4).map((x) => pool.derive(x.password, x.salt, 32, params)));
    const heldBusy = holding();
    await busy;
    assert.ok(heldBusy > before, 'held while a thread has a hash');
    assert.equal(holding(), before, 'let go again once done');
  } finally {
    pool.stop();
  }
});
