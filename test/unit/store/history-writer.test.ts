import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StateChange } from '../../../server/core/events.js';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import { change, memoryLog, openTestStore } from './helpers.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('the timer writes queued changes in batches of at most batchSize, without a flush', async (t) => {
  const batches: number[] = [];
  const store = await openTestStore(t, {
    history: { intervalMs: 20, batchSize: 100, onWritten: (changes) => batches.push(changes.length) },
  });
  for (let i = 0; i < 250; i++) store.writer.enqueue(change(`d${i % 5}`, 'temperature', i, 1000 + i));
  await until(() => store.writer.written === 250);
  assert.equal(await store.history.count(), 250);
  assert.equal(batches.reduce((a, b) => a + b, 0), 250);
  assert.ok(batches.every((n) => n <= 100), String(batches));
  assert.equal(store.writer.depth, 0);
  assert.ok(store.writer.lastBatchMs > 0);
  assert.equal(store.writer.healthy, true);
});

test('a busy writer gathers changes for busyGatherMs instead of writing each on the next turn; flush writes them', async (t) => {
  const batches: number[] = [];
  const store = await openTestStore(t, {
    // 100 changes/s is busy; a gathered batch waits a minute here, so only flush() can write it.
    history: { intervalMs: 10, busyRate: 100, busyGatherMs: 60_000, onWritten: (changes) => batches.push(changes.length) },
  });
  // Quiet so far (no rate measured yet): written at once.
  for (let i = 0; i < 200; i++) store.writer.enqueue(change(`d${i % 5}`, 'temperature', i, 1000 + i));
  await until(() => store.writer.written === 200);
  // The next arrival closes a >100 ms window with 201 arrivals in it: ≥ 100/s, busy.
  await new Promise((r) => setTimeout(r, 110));
  store.writer.enqueue(change('d0', 'temperature', -1, 5000));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.writer.written, 200, 'the busy change waits for its batch');
  assert.equal(store.writer.depth, 1);
  await store.writer.flush();
  assert.equal(store.writer.written, 201);
  assert.equal(await store.history.count(), 201);
});

test('stop writes everything queued: 10,000 in, 10,000 rows', async (t) => {
  const store = await openTestStore(t, { history: { intervalMs: 60_000 } });
  for (let i = 0; i < 10_000; i++) store.writer.enqueue(change(`d${i % 50}`, 'power', i, 1000 + i));
  assert.equal(store.writer.depth, 10_000);
  await store.writer.stop();
  await store.writer.stop(); // idempotent
  assert.equal(store.writer.written, 10_000);
  assert.equal(await store.history.count(), 10_000);
  assert.equal((await store.state.all()).length, 50);
});

test('a full queue drops new changes, counts them and warns at most once a second', async (t) => {
  const { log, records } = memoryLog();
  const store = await openTestStore(t, { history: { intervalMs: 60_000, maxQueue: 100 } }, log);
  for (let i = 0; i < 150; i++) store.writer.enqueue(change('d', 'p', i, i));
  assert.equal(store.writer.depth, 100);
  assert.equal(store.writer.dropped, 50);
  await new Promise((r) => setImmediate(r));
  assert.equal(records.filter((r) => r.msg === 'history queue full: changes dropped').length, 1);
  await store.writer.flush();
  assert.equal(await store.history.count(), 100);
  assert.deepEqual((await store.history.query('d', 'p', 0, 1000)).map((s) => s.value).slice(-1), [99], 'the oldest were kept');
});

test('numbers are stored as REAL, other values as JSON text; query returns them in time order', async (t) => {
  const store = await openTestStore(t, { history: { intervalMs: 60_000 } });
  const values = [21.5, 22, 'on', true, null, { x: [1, 'a'] }, '42'];
  // enqueued out of time order on purpose
  values.forEach((v, i) => store.writer.enqueue(change('dev', 'p', v, 10_000 - i * 10)));
  await store.writer.flush();
  const types = await store.db.all<{ t: string }>('SELECT typeof(value) AS t FROM history ORDER BY ts DESC');
  assert.deepEqual(types.map((r) => r.t), ['real', 'real', 'text', 'text', 'null', 'text', 'text']);
  const samples = await store.history.query('dev', 'p', 0, 20_000);
  assert.deepEqual(samples, values.map((v, i) => ({ ts: 10_000 - i * 10, value: v })).reverse());
  assert.deepEqual((await store.history.query('dev', 'p', 9_950, 9_990, 2)).map((s) => s.ts), [9_950, 9_960]);
  assert.deepEqual(await store.history.query('dev', 'other', 0, 20_000), []);
});

test('rows are inserted by series and time, and samples of a series in the same millisecond keep the order they came in', async (t) => {
  const store = await openTestStore(t, { history: { intervalMs: 60_000 } });
  // 3,000 changes of 300 series in arrival order (time), as a busy second gathers them; one series reports five
  // values in one millisecond among them, one of them a repeat.
  const same = ['a', 'b', 'c', 'b', 'e'];
  for (let i = 0; i < 3000; i++) {
    store.writer.enqueue(change(`d${i % 300}`, 'power', i, 1000 + i));
    if (i % 600 === 0) store.writer.enqueue(change('burst', 'mode', same[i / 600]!, 5000));
  }
  await store.writer.flush();
  assert.equal(await store.history.count(), 3005);
  assert.deepEqual((await store.history.query('burst', 'mode', 0, 10_000)).map((s) => s.value), same);
  const d7 = await store.history.query('d7', 'power', 0, 10_000);
  assert.deepEqual(d7.map((s) => s.value), Array.from({ length: 10 }, (_, k) => 7 + k * 300));
  // In the file, each series' rows of the batch are next to each other (rowid order), which is what makes the
  // index insert cheap; the writer's own order was by time.
  const rows = await store.db.all<{ series_id: number }>('SELECT series_id FROM history ORDER BY rowid');
  const runs = rows.filter((r, i) => i === 0 || r.series_id !== rows[i - 1]!.series_id).length;
  assert.equal(runs, 301);
});

test('a failed batch (disk full) is kept and retried; healthy is false until a write succeeds', async (t) => {
  const { log, records } = memoryLog();
  const store = await openTestStore(t, { history: { intervalMs: 10, retryMs: 30 } }, log);
  const { page_count } = (await store.db.get<{ page_count: number }>('PRAGMA page_count'))!;
  await store.db.get(`PRAGMA max_page_count = ${page_count}`); // the "disk" is now full
  const batch: StateChange[] = [];
  for (let i = 0; i < 3000; i++) batch.push(change(`new${i % 30}`, 'text', 'x'.repeat(50), i));
  for (const c of batch) store.writer.enqueue(c);
  await assert.rejects(store.writer.flush(), (err: unknown) => err instanceof RumahError && err.code === ErrorCodes.DB_WRITE);
  assert.equal(store.writer.healthy, false);
  assert.equal(store.writer.depth, 3000);
  const failure = records.find((r) => r.msg === 'history write failed; will retry');
  assert.equal(failure?.code, 'SQLITE_FULL');
  await store.db.get('PRAGMA max_page_count = 1073741823'); // space freed
  await until(() => store.writer.healthy && store.writer.depth === 0);
  assert.equal(store.writer.written, 3000);
  assert.equal(await store.history.count(), 3000);
  assert.equal((await store.history.query('new7', 'text', 0, 10_000)).length, 100, 'series created again after the rollback');
});

test('throughput: changes written per second (printed, not asserted)', async (t) => {
  let lastCommit = 0;
  const total = 200_000;
  // The queue holds all of them: this measures how fast the writer drains, not the drop policy.
  const store = await openTestStore(t, { history: { intervalMs: 50, maxQueue: total, onWritten: (_c, at) => (lastCommit = at) } });
  const started = Date.now();
  // 500 devices x 4 properties, enqueued in bursts of 2000 as a busy broker would deliver them
  for (let i = 0; i < total; i++) {
    store.writer.enqueue(change(`dev${i % 500}`, `p${(i >> 9) % 4}`, (i % 1000) / 10, started + i));
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  await store.writer.flush();
  const seconds = (Math.max(lastCommit, Date.now()) - started) / 1000;
  assert.equal(await store.history.count(), total);
  assert.equal(store.writer.dropped, 0);
  const { page_count, page_size } = {
    ...(await store.db.get<{ page_count: number }>('PRAGMA page_count')),
    ...(await store.db.get<{ page_size: number }>('PRAGMA page_size')),
  } as { page_count: number; page_size: number };
  t.diagnostic(`history writer: ${Math.round(total / seconds)} changes/s (${total} in ${seconds.toFixed(2)} s)`);
  t.diagnostic(`history size: ~${((page_count * page_size) / total).toFixed(1)} bytes per sample incl. index and state`);
});

test('every kind of value survives the queue and comes back from history and state as it went in', async (t) => {
  // The queue keeps finite numbers apart from everything else (ChangeColumns): each kind must come back whole.
  const store = await openTestStore(t, { history: { intervalMs: 60_000, batchSize: 4 } });
  const values = [21.5, 'on', true, false, null, { r: 255, g: 0 }, [1, 'two'], -0.25, 0, Infinity];
  values.forEach((v, i) => store.writer.enqueue(change('mixed', 'p', v, 1000 + i)));
  await store.writer.flush();
  const samples = await store.history.query('mixed', 'p', 0, 10_000);
  // Infinity has no JSON: stored as null, as before the columns.
  assert.deepEqual(samples.map((s) => s.value), [21.5, 'on', true, false, null, { r: 255, g: 0 }, [1, 'two'], -0.25, 0, null]);
  assert.deepEqual(samples.map((s) => s.ts), values.map((_, i) => 1000 + i));
  const [state] = await store.state.forDevice('mixed');
  assert.deepEqual(state!.state, { value: null, ts: 1009, cause: { kind: 'device', id: 'mixed' } });
});
