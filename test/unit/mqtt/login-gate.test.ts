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

test('a login that waits past the timeout is refused as busy while the check before it still runs; a full queue refuses at once', async () => {
  const gate = new LoginGate({ concurrency: 1, maxQueued: 1, timeoutMs: 50 });
  const end = deferred();
  let ran = 0;
  const first = gate.run(async () => {
    ran++;
    await end.promise;
    return 'checked';
  });
  const waiting = gate.run(async () => void ran++);
  await assert.rejects(gate.run(async () => void ran++), (err: Error) => err.name === 'LoginBusy' && /1 logins already waiting/.test(err.message));
  await assert.rejects(waiting, (err: Error) => err.name === 'LoginBusy' && /waited 50 ms/.test(err.message));
  assert.equal(gate.waiting, 0, 'the refused one left the queue');
  assert.equal(ran, 1, 'only the first check ran; it is still running');
  assert.equal(gate.refused, 2);
  end.resolve();
  assert.equal(await first, 'checked', 'a check that started is let finish');
  gate.stop();
});
