import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Database } from '../../../server/store/database.js';
import { migrate } from '../../../server/store/migrations.js';
import { OutQueue } from '../../../server/bridge/out-queue.js';
import { QueueStore } from '../../../server/bridge/queue-store.js';
import type { QueuedMessage } from '../../../server/bridge/queue-store.js';
import { silentLog, tempDir } from '../store/helpers.js';

async function open(t: TestContext, file = path.join(tempDir(t), 'rumah.db')): Promise<{ store: QueueStore; db: Database; file: string }> {
  const db = await Database.open(file, silentLog());
  t.after(() => db.close());
  await migrate(db, silentLog());
  const store = new QueueStore(db, silentLog());
  await store.open();
  return { store, db, file };
}

const msg = (i: number) => ({ topic: `t/${i}`, payload: Buffer.from(`m${i}`), qos: 1 as const, retain: false });
const add = (queue: OutQueue, m: Omit<QueuedMessage, 'id'>): void => queue.add(m.topic, m.payload, m.qos, m.retain);

test('thousands of messages: sent in order, acknowledged out of order, resent from the oldest after a drop; rows leave on acknowledgement', async (t) => {
  const { store, db } = await open(t);
  const queue = new OutQueue('b', store, { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 });
  const n = 3000;
  for (let i = 0; i < n; i++) add(queue, msg(i));
  // 2,500 sent and acknowledged, every second one first, so the head advances past many compactions.
  const sent: QueuedMessage[] = [];
  for (let i = 0; i < 2500; i++) sent.push(queue.next()!);
  assert.deepEqual(sent.map((m) => m.topic), Array.from({ length: 2500 }, (_, i) => `t/${i}`));
  for (let i = 1; i < 2500; i += 2) queue.acked(sent[i]!);
  assert.equal(queue.depth, n, 'nothing leaves before the oldest is acknowledged');
  for (let i = 0; i < 2400; i += 2) queue.acked(sent[i]!);
  assert.equal(queue.depth, n - 2400);
  // The connection drops with 2400..2499 in flight (half of them acknowledged): the rest go again, in order.
  queue.rewind();
  const again: string[] = [];
  for (let m = queue.next(); m; m = queue.next()) again.push(m.topic);
  assert.deepEqual(again, Array.from({ length: 600 }, (_, i) => `t/${2400 + i}`).filter((topic) => {
    const i = Number(topic.slice(2));
    return i >= 2500 || i % 2 === 0;
  }));
  await store.flush();
  const rows = await db.get<{ n: number }>('SELECT count(*) AS n FROM bridge_queue');
  assert.equal(rows!.n, n - 2400 - 50, 'acknowledged rows are deleted (the 50 acknowledged past the head too)');
});

test('the bounds drop the oldest, in messages and in bytes, and a reopened store gives back what is left in order', async (t) => {
  const first = await open(t);
  const queue = new OutQueue('b', first.store, { maxMessages: 100, maxBytes: 1024 * 1024 });
  for (let i = 0; i < 150; i++) add(queue, msg(i));
  assert.equal(queue.depth, 100);
  assert.equal(queue.dropped, 50);
  const big = new OutQueue('big', first.store, { maxMessages: 100, maxBytes: 2048 });
  for (let i = 0; i < 5; i++) big.add(`b/${i}`, Buffer.alloc(1000), 1, false);
  assert.equal(big.depth, 2, 'two 1,000-byte messages fit in 2,048 bytes');
  assert.equal(big.dropped, 3);
  await first.store.flush();
  await first.db.close();

  const second = await open(t, first.file);
  const reloaded = new OutQueue('b', second.store, { maxMessages: 100, maxBytes: 1024 * 1024 });
  await reloaded.load();
  const topics: string[] = [];
  for (let m = reloaded.next(); m; m = reloaded.next()) topics.push(m.topic);
  assert.deepEqual(topics, Array.from({ length: 100 }, (_, i) => `t/${50 + i}`));
  add(reloaded, msg(999));
  assert.equal(reloaded.next()!.topic, 't/999', 'new ids follow the stored ones');
});

test('rows written before their acknowledgement leave rumah.db, acknowledged in order (one id range) or scattered (many)', async (t) => {
  const { store, db } = await open(t);
  const queue = new OutQueue('b', store, { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 });
  const count = async () => (await db.get<{ n: number }>('SELECT count(*) AS n FROM bridge_queue'))!.n;
  for (let i = 0; i < 300; i++) add(queue, msg(i));
  await store.flush();
  assert.equal(await count(), 300, 'written while not acknowledged');
  const sent: QueuedMessage[] = [];
  for (let m = queue.next(); m; m = queue.next()) sent.push(m);
  for (const m of sent.slice(0, 100)) queue.acked(m);
  await store.flush();
  assert.equal(await count(), 200, 'in order');
  // Every third of the next 200, then the rest: first ~67 ranges, then the gaps between them.
  for (let i = 100; i < 300; i += 3) queue.acked(sent[i]!);
  await store.flush();
  assert.equal(await count(), 200 - 67);
  for (let i = 100; i < 300; i++) queue.acked(sent[i]!);
  await store.flush();
  assert.equal(await count(), 0);
  assert.equal(queue.depth, 0);
});
