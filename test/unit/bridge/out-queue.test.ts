import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Database } from '../../../server/store/database.js';
import { migrate } from '../../../server/store/migrations.js';
import { OutQueue } from '../../../server/bridge/out-queue.js';
import { QueueStore } from '../../../server/bridge/queue-store.js';
import type { QueuedMessage } from '../../../server/bridge/queue-store.js';
import { silentLog, tempDir } from '../store/helpers.js';

async function open(t: TestContext, file = path.join(tempDir(), 'rumah.db')): Promise<{ store: QueueStore; db: Database; file: string }> {
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
  assert.equal(queue.depth, n - 1250, 'depth counts what is not acknowledged');
  for (let i = 0; i < 2400; i += 2) queue.acked(sent[i]!);
  assert.equal(queue.depth, n - 2400 - 50);
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

test('past a bound the oldest waiting message is dropped, never one in flight: each in flight is delivered and none counted dropped', async (t) => {
  const { store, db } = await open(t);
  const queue = new OutQueue('b', store, { maxMessages: 10, maxBytes: 1024 * 1024 });
  for (let i = 0; i < 10; i++) add(queue, msg(i));
  const inflight = Array.from({ length: 4 }, () => queue.next()!);
  assert.deepEqual(inflight.map((m) => m.topic), ['t/0', 't/1', 't/2', 't/3']);
  for (let i = 10; i < 16; i++) add(queue, msg(i));
  assert.equal(queue.dropped, 6, 'six over the bound');
  assert.equal(queue.depth, 10);
  // The six oldest waiting (t/4..t/9) went; the four in flight stay and are acknowledged as usual.
  for (const m of inflight) queue.acked(m);
  assert.equal(queue.depth, 6);
  const rest: string[] = [];
  for (let m = queue.next(); m; m = queue.next()) rest.push(m.topic);
  assert.deepEqual(rest, ['t/10', 't/11', 't/12', 't/13', 't/14', 't/15']);
  await store.flush();
  assert.deepEqual((await db.all<{ topic: string }>('SELECT topic FROM bridge_queue ORDER BY id')).map((r) => r.topic), rest, 'rumah.db holds what is still owed');

  // With only messages in flight and the newest left, nothing more can go: the bound is passed by the window.
  const full = new OutQueue('full', store, { maxMessages: 3, maxBytes: 1024 * 1024 });
  for (let i = 0; i < 3; i++) add(full, msg(i));
  const sent = [full.next()!, full.next()!, full.next()!];
  add(full, msg(3));
  assert.equal(full.dropped, 0, 'all three in flight: none dropped');
  assert.equal(full.depth, 4);
  add(full, msg(4));
  assert.equal(full.dropped, 1, 't/3, waiting, goes for t/4');
  for (const m of sent) full.acked(m);
  assert.equal(full.next()!.topic, 't/4');
  assert.equal(full.next(), undefined);

  // After a rewind (the remote kept no session) nothing is in flight: the oldest go first again.
  const again = new OutQueue('again', store, { maxMessages: 3, maxBytes: 1024 * 1024 });
  for (let i = 0; i < 3; i++) add(again, msg(i));
  again.next();
  again.next();
  again.rewind();
  add(again, msg(3));
  assert.equal(again.next()!.topic, 't/1', 't/0 was dropped once it was no longer in flight');
});

test('a remote that acknowledges nothing while the queue overflows: the drops behind its messages in flight are let go (no walk over them, no growth)', async (t) => {
  const { store } = await open(t);
  const queue = new OutQueue('b', store, { maxMessages: 1000, maxBytes: 1024 * 1024 * 1024 });
  for (let i = 0; i < 1000; i++) add(queue, msg(i));
  for (let i = 0; i < 100; i++) queue.next();
  for (let i = 1000; i < 201_000; i++) add(queue, msg(i));
  assert.equal(queue.dropped, 200_000);
  assert.equal(queue.depth, 1000);
  const waiting: string[] = [];
  for (let m = queue.next(); m; m = queue.next()) waiting.push(m.topic);
  assert.equal(waiting.length, 900);
  assert.equal(waiting[0], 't/200100', 'the newest 900 wait, after the 100 in flight');
  const held = (queue as unknown as { entries: unknown[] }).entries.length;
  assert.ok(held <= 3000, `${held} entries held for 1,000 messages owed`);
  // The 100 in flight are still acknowledged as before.
  queue.rewind();
  const first = queue.next()!;
  assert.equal(first.topic, 't/0');
  queue.acked(first);
  assert.equal(queue.depth, 999);
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
