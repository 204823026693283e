import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginGate } from '../../../server/mqtt/login-gate.js';

// The gate's bound may be a function (login-gate.ts hashesAtOnce: it grows when the hashing threads come up); the
// logins waiting must use the room as soon as a running one ends, not one per release.

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a bound that grows lets as many waiting logins start as it has room for, in order', async () => {
  let bound = 1;
  const gate = new LoginGate({ concurrency: () => bound, maxQueued: 100, timeoutMs: 60_000 });
  const started: number[] = [];
  const ends = Array.from({ length: 5 }, deferred);
  const runs = ends.map((end, i) => gate.run(async () => {
    started.push(i);
    await end.promise;
  }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0], 'one at a time while the bound is 1');
  assert.equal(gate.waiting, 4);
  bound = 3;
  ends[0]!.resolve();
  await runs[0];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2, 3], 'the first to end makes room for three, the oldest first');
  assert.equal(gate.waiting, 1);
  for (const end of ends) end.resolve();
  await Promise.all(runs);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  gate.stop();
});

test('a fixed bound still starts one waiting login per release', async () => {
  const gate = new LoginGate({ concurrency: 2, maxQueued: 100, timeoutMs: 60_000 });
  let running = 0;
  let most = 0;
  const ends = Array.from({ length: 6 }, deferred);
  const runs = ends.map((end) => gate.run(async () => {
    most = Math.max(most, ++running);
    await end.promise;
    running--;
  }));
  for (const end of ends) {
    end.resolve();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(runs);
  assert.equal(most, 2);
  gate.stop();
});
