// The write path: one transaction per event-loop turn, promises that resolve only once the write
// is committed (visible to another connection), submission order kept inside a transaction, and
// an operation that fails on its own ("no such packet") not taking its batch down with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sqlite3 from 'sqlite3';
import { openPersistence, tempDir } from './persistence-fixtures.js';

const retained = (topic: string, payload = 'x') => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true });

/** Reads the file through a separate connection: sees only what was committed. */
function countRows(file: string, table: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`, (e, row) => {
        db.close();
        if (e) reject(e);
        else resolve(row!.n);
      });
    });
  });
}

test('the writes of one turn share one transaction; each promise resolves after COMMIT', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  t.after(() => persistence.destroy());
  const before = persistence.stats;
  const writes = Array.from({ length: 100 }, (_, i) => persistence.storeRetained(retained(`home/device-${i}/state`)));
  writes.push(persistence.addSubscriptions({ id: 'panel' }, [{ topic: 'home/#', qos: 1 }]));
  await writes[0];
  // The first promise resolved: its transaction is committed, and it held all 101 writes.
  assert.equal(await countRows(dir.file, 'retained'), 100);
  assert.equal(await countRows(dir.file, 'subscriptions'), 1);
  await Promise.all(writes);
  const after = persistence.stats;
  assert.equal(after.transactions - before.transactions, 1);
  assert.equal(after.statements - before.statements, 101);
});

test('reads and empty writes do not open a transaction', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  t.after(() => persistence.destroy());
  await persistence.outgoingEnqueueCombi([], retained('home/x'));
  await persistence.storeRetained({ ...retained('home/never-stored'), payload: Buffer.alloc(0) });
  await persistence.removeSubscriptions({ id: 'nobody' }, ['home/#']);
  await persistence.subscriptionsByTopic('home/x');
  await persistence.createRetainedStream('#').toArray();
  assert.equal(persistence.stats.transactions, 0);
});

test('operations of one transaction apply in submission order, in memory and on disk', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const client = { id: 'panel' };
  await Promise.all([
    first.addSubscriptions(client, [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 1 }]),
    first.removeSubscriptions(client, ['a']),
    first.storeRetained(retained('home/x', 'first')),
    first.storeRetained(retained('home/x', 'second')),
  ]);
  assert.equal(first.stats.transactions, 1);
  await first.destroy();
  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  assert.deepEqual((await second.subscriptionsByClient(client)).map((s) => s.topic), ['b']);
  const [x] = await second.createRetainedStream('home/x').toArray();
  assert.equal(String((x as { payload: Buffer }).payload), 'second');
});

test('an operation that fails by itself is rejected alone; the rest of its transaction commits', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  t.after(() => persistence.destroy());
  const [stored, update, deleted] = await Promise.allSettled([
    persistence.storeRetained(retained('home/ok')),
    persistence.outgoingUpdate({ id: 'nobody' }, { cmd: 'pubrel', messageId: 9 }),
    persistence.incomingDelPacket({ id: 'nobody' }, { messageId: 9 }),
  ]);
  assert.equal(stored.status, 'fulfilled');
  assert.equal(update.status, 'rejected');
  assert.equal(deleted.status, 'rejected');
  assert.equal(persistence.healthy, true, 'a missing packet is not a database failure');
  assert.equal(await countRows(dir.file, 'retained'), 1);
});
