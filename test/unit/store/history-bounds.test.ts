import assert from 'node:assert/strict';
import { test } from 'node:test';
import { change, openTestStore } from './helpers.js';

// The history writer's memory and transactions are bounded in characters, not only in changes: each value is at
// most 64 Ki characters (StateStore), but 50,000 of them in one batch would be one JSON string longer than V8
// allows, and the batch would fail on every retry.

test('a batch holds at most batchChars of values; the rest goes in the next batches, all written', async (t) => {
  const batches: number[] = [];
  const store = await openTestStore(t, { history: { intervalMs: 60_000, batchChars: 100_000, onWritten: (c) => batches.push(c.length) } });
  const text = 'x'.repeat(30_000);
  for (let i = 0; i < 10; i++) store.writer.enqueue(change('d', `p${i}`, `${text}${i}`, 1000 + i));
  assert.ok(store.writer.queuedChars >= 300_000);
  await store.writer.flush();
  assert.deepEqual(batches, [3, 3, 3, 1]);
  assert.equal(store.writer.queuedChars, 0);
  assert.equal(await store.history.count(), 10);
  assert.equal((await store.state.all()).length, 10);
});

test('past maxQueueChars of queued values, new changes are dropped and counted; numbers still fit', async (t) => {
  const store = await openTestStore(t, { history: { intervalMs: 60_000, maxQueueChars: 100_000 } });
  const text = 'y'.repeat(30_000);
  for (let i = 0; i < 5; i++) store.writer.enqueue(change('d', 'note', `${text}${i}`, 1000 + i));
  assert.equal(store.writer.depth, 3);
  assert.equal(store.writer.dropped, 2);
  store.writer.enqueue(change('d', 'temperature', 21.5, 2000));
  assert.equal(store.writer.depth, 4, 'a number costs the character bound nothing');
  await store.writer.flush();
  assert.equal(await store.history.count(), 4);
});

test('from 80% of maxQueueChars the writer is behind, so the broker holds publishers instead of history being dropped', async (t) => {
  const store = await openTestStore(t, { history: { intervalMs: 60_000, maxQueueChars: 100_000 } });
  store.writer.enqueue(change('d', 'a', 'x'.repeat(50_000), 1));
  assert.equal(store.writer.behind, false);
  store.writer.enqueue(change('d', 'b', 'x'.repeat(35_000), 2));
  assert.equal(store.writer.behind, true);
  await store.writer.flush();
  assert.equal(store.writer.behind, false);
});
