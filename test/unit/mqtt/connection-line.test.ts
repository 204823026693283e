import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionLine } from '../../../server/mqtt/connection-line.js';

// New connections wait in line while many logins are in progress (server/mqtt/connection-line.ts). Connections here
// are plain objects with the two members the line uses of a socket; `handed` is what reached the broker, in order.

interface Conn {
  n: number;
  destroyed: boolean;
  destroy(): void;
}

const conn = (n: number): Conn => ({ n, destroyed: false, destroy() { this.destroyed = true; } });
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function line(opts: { window?: number; perTurn?: number; maxWaitMs?: number; now?: () => number } = {}) {
  const handed: number[] = [];
  const l = new ConnectionLine<Conn>({
    hand: (c) => handed.push(c.n), drop: (c) => c.destroy(), closed: (c) => c.destroyed,
    window: opts.window ?? 4, perTurn: opts.perTurn ?? 100, maxWaitMs: opts.maxWaitMs ?? 10_000, now: opts.now,
  });
  return { l, handed };
}

test('below the window a connection goes to the broker at once; above it they wait, and each login that ends lets the next in, in order', async (t) => {
  const { l, handed } = line({ window: 2 });
  t.after(() => l.stop());
  l.arrive(conn(1));
  l.arrive(conn(2));
  assert.deepEqual(handed, [1, 2], 'handed at once');
  for (let n = 3; n <= 6; n++) l.arrive(conn(n));
  assert.deepEqual(handed, [1, 2], 'two handed this turn count as logins until their CONNECTs are read');
  // Their CONNECTs arrive: two logins in progress.
  l.loginStarted();
  l.loginStarted();
  await nextTurn();
  assert.deepEqual(handed, [1, 2], 'two logins in progress: the others wait');
  assert.equal(l.waiting, 4);
  l.loginEnded();
  await nextTurn();
  assert.deepEqual(handed, [1, 2, 3], 'one login ended: the first waiting goes, and only it');
  l.loginStarted();
  l.loginEnded();
  l.loginEnded();
  await nextTurn();
  assert.deepEqual(handed, [1, 2, 3, 4, 5], 'the line keeps its order');
  assert.equal(l.counts.waited, 4);
});

test('connections that send nothing do not hold the line: each counts for the turn it is handed in, no longer', async (t) => {
  const { l, handed } = line({ window: 4, perTurn: 10 });
  t.after(() => l.stop());
  // 35 silent connections arrive in one turn (as one accept of a storm): none ever starts a login.
  for (let n = 1; n <= 35; n++) l.arrive(conn(n));
  assert.equal(handed.length, 4, 'the window, this turn');
  await nextTurn();
  assert.equal(handed.length, 8, 'and again the next turn');
  for (let turn = 0; turn < 8; turn++) await nextTurn();
  assert.deepEqual(handed, Array.from({ length: 35 }, (_, i) => i + 1), 'all handed, in order, though not one logged in');
  // A device that comes now is handed at once.
  l.arrive(conn(36));
  assert.equal(handed.at(-1), 36);
});

test('at most perTurn a turn, whatever the window', async (t) => {
  const { l, handed } = line({ window: 100, perTurn: 10 });
  t.after(() => l.stop());
  for (let n = 1; n <= 25; n++) l.arrive(conn(n));
  assert.equal(handed.length, 10);
  await nextTurn();
  assert.equal(handed.length, 20);
  await nextTurn();
  assert.equal(handed.length, 25);
});

test('a connection that waited mqtt.connectTimeout is closed unread; one that closed while waiting is skipped; stop closes the rest', async () => {
  let clock = 1_000;
  const { l, handed } = line({ window: 1, maxWaitMs: 500, now: () => clock });
  const first = conn(1);
  l.arrive(first);
  l.loginStarted();
  const old = [conn(2), conn(3)];
  for (const c of old) l.arrive(c);
  clock += 300;
  const gone = conn(4);
  const fresh = conn(5);
  l.arrive(gone);
  l.arrive(fresh);
  gone.destroy();
  clock += 250;
  // 550 ms after the first two came, 250 after the last: the login ends and the line moves.
  l.loginEnded();
  await nextTurn();
  assert.deepEqual(old.map((c) => c.destroyed), [true, true], 'waited longer than 500 ms: closed');
  assert.equal(l.counts.expired, 2);
  assert.deepEqual(handed, [1, 5], 'the closed one skipped, the fresh one handed');
  l.loginStarted();
  const left = conn(6);
  l.arrive(left);
  l.stop();
  assert.equal(left.destroyed, true, 'stop closes what still waits');
  assert.equal(l.waiting, 0);
  const late = conn(7);
  l.arrive(late);
  assert.equal(late.destroyed, true, 'one that comes after stop is closed, not kept');
});

test('the oldest waiting connection is closed at its time even when no login ends', async () => {
  const { l } = line({ window: 1, maxWaitMs: 30 });
  l.arrive(conn(1));
  l.loginStarted(); // never ends
  const stuck = conn(2);
  l.arrive(stuck);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(stuck.destroyed, true);
  assert.equal(l.counts.expired, 1);
  l.stop();
});

test('a storm of 10,000 at once goes through in order, at most perTurn a turn', async (t) => {
  const { l, handed } = line({ window: 256, perTurn: 64 });
  t.after(() => l.stop());
  for (let n = 0; n < 10_000; n++) l.arrive(conn(n));
  const perTurn = [handed.length];
  // Each turn: what was handed starts its login, and as many end (a cached device's login is that short).
  while (handed.length < 10_000 && perTurn.length < 1_000) {
    const before = handed.length;
    await nextTurn();
    perTurn.push(handed.length - before);
    for (let i = before; i < handed.length; i++) l.loginStarted();
    for (let i = before; i < handed.length; i++) l.loginEnded();
  }
  assert.equal(handed.length, 10_000);
  assert.ok(handed.every((n, i) => n === i), 'first come, first handed');
  assert.equal(Math.max(...perTurn), 64, 'at most 64 a turn');
  assert.equal(l.waiting, 0);
});
