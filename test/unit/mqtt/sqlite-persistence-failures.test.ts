// Bad input and bad disks: a corrupt or unusable file refuses to start with a message that says
// what to do; a write that fails (disk full) rejects its callers, so aedes acknowledges nothing,
// flips `healthy` until the next successful commit, and leaves memory as it was on disk.
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import sqlite3 from 'sqlite3';
import { isRumahError } from '../../../server/core/errors.js';
import { createSqlitePersistence } from '../../../server/mqtt/persistence/sqlite-persistence.js';
import { broker, memoryLogger, openPersistence, silentLog, tempDir } from './persistence-fixtures.js';

const retained = (topic: string, bytes = 1500) => ({
  cmd: 'publish',
  topic,
  payload: Buffer.alloc(bytes, 0x61),
  qos: 1,
  retain: true,
});

/** Runs SQL on the file through a connection of its own (to damage it on purpose). */
function sql(file: string, statement: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.exec(statement, (e) => (e ? reject(e) : db.close((c) => (c ? reject(c) : resolve()))));
    });
  });
}

async function assertOpenError(file: string, pattern?: RegExp): Promise<void> {
  const persistence = createSqlitePersistence({ file, log: silentLog });
  await assert.rejects(persistence.setup(broker()), (err: unknown) => {
    assert.ok(isRumahError(err), 'a RumahError');
    assert.equal(err.code, 'RUMAH_ERR_DB_OPEN');
    assert.ok(err.message.includes(file), 'the message names the file');
    assert.match(err.message, /move .* aside|restore/);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('a file that is not a database: setup rejects with RUMAH_ERR_DB_OPEN naming the file', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  await writeFile(dir.file, Buffer.alloc(64 * 1024, 'not an sqlite database '));
  await assertOpenError(dir.file, /not a database/);
});

test('a database with corrupt pages: setup rejects (integrity check) instead of serving half the state', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  for (let i = 0; i < 200; i++) await persistence.storeRetained(retained(`home/device-${i}/state`, 200));
  await persistence.destroy(); // checkpoints the WAL into the file
  // Overwrite pages 3..6 (4 KiB each) with noise, leaving the header and schema page intact.
  const handle = await open(dir.file, 'r+');
  await handle.write(Buffer.alloc(4 * 4096, 0xa5), 0, 4 * 4096, 2 * 4096);
  await handle.close();
  await assertOpenError(dir.file);
});

test('a row that does not decode: setup rejects with RUMAH_ERR_DB_OPEN', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  await persistence.storeRetained(retained('home/lamp/state', 10));
  await persistence.destroy();
  await sql(dir.file, `UPDATE retained SET meta = '{not json'`);
  await assertOpenError(dir.file);
});

test('a missing directory: setup rejects with RUMAH_ERR_DB_OPEN', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  await assertOpenError(join(dir.path, 'no-such-dir', 'broker.db'));
});

test('a database from a newer rumah: setup rejects and says to upgrade or restore', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  await persistence.destroy();
  await sql(dir.file, 'PRAGMA user_version = 99');
  await assertOpenError(dir.file, /schema version is 99.*Upgrade rumah/s);
});

test('invalid options are reported together, as RUMAH_ERR_CONFIG_INVALID', () => {
  assert.throws(
    () => createSqlitePersistence({ file: '', log: silentLog, busyTimeoutMs: -1, maxPageCount: 0.5 }),
    (err: unknown) => isRumahError(err) && err.code === 'RUMAH_ERR_CONFIG_INVALID' && /file.*busyTimeoutMs.*maxPageCount/s.test(err.message),
  );
});

test('disk full: writes reject, healthy turns false, memory matches disk, and it recovers once space is freed', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const { log, lines } = memoryLogger();
  // max_page_count stands in for a full disk: past it SQLite fails writes with SQLITE_FULL.
  const persistence = createSqlitePersistence({ file: dir.file, log, maxPageCount: 24 });
  await persistence.setup(broker());
  t.after(() => persistence.destroy());

  const stored: string[] = [];
  let failure: unknown;
  for (let i = 0; i < 500 && failure === undefined; i++) {
    const topic = `home/device-${i}/state`;
    await persistence.storeRetained(retained(topic)).then(
      () => stored.push(topic),
      (err: unknown) => (failure = err),
    );
  }
  assert.ok(stored.length > 0, 'some writes fit');
  assert.ok(isRumahError(failure), 'the write that did not fit rejected');
  assert.equal(failure.code, 'RUMAH_ERR_DB_WRITE');
  assert.match(failure.message, /full/);
  assert.equal(persistence.healthy, false);
  assert.equal(persistence.lastError, failure);
  assert.ok(lines().some((l) => l.level === 50 && l.sqliteCode === 'SQLITE_FULL'), 'the failure is logged');

  // The rejected write left no trace in memory: aedes would not serve what it did not acknowledge.
  const failedTopic = `home/device-${stored.length}/state`;
  assert.deepEqual(await persistence.createRetainedStream(failedTopic).toArray(), []);

  // A batch that fails as a whole: every caller in the transaction is rejected, every change undone.
  const client = { id: 'panel' };
  const results = await Promise.allSettled([
    persistence.addSubscriptions(client, [{ topic: 'home/#', qos: 1 }]),
    persistence.storeRetained(retained('home/one-more/state')),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.deepEqual(await persistence.subscriptionsByClient(client), []);
  assert.deepEqual(await persistence.subscriptionsByTopic('home/x'), []);

  // Free space: deleting retained messages needs no new pages; its commit makes the store healthy.
  for (const topic of stored.slice(0, 4)) await persistence.storeRetained({ ...retained(topic), payload: Buffer.alloc(0) });
  assert.equal(persistence.healthy, true);
  assert.equal(persistence.lastError?.code, 'RUMAH_ERR_DB_WRITE', 'the last error is kept for diagnosis');
  await persistence.storeRetained(retained(failedTopic));
  assert.equal((await persistence.createRetainedStream(failedTopic).toArray()).length, 1);
  assert.ok(lines().some((l) => l.msg === 'broker database writable again'));
  await persistence.destroy();

  // On disk: exactly what was acknowledged.
  const reopened = await openPersistence(dir.file);
  t.after(() => reopened.destroy());
  const topics = (await reopened.createRetainedStream('#').toArray()).map((p: { topic: string }) => p.topic).sort();
  assert.deepEqual(topics, [...stored.slice(4), failedTopic].sort());
});

test('after destroy, writes reject and destroy is idempotent', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const persistence = await openPersistence(dir.file);
  const pending = persistence.storeRetained(retained('home/last/state', 10));
  await Promise.all([persistence.destroy(), persistence.destroy()]);
  await pending; // submitted before destroy: committed, not dropped
  await assert.rejects(persistence.storeRetained(retained('home/late/state', 10)), { code: 'RUMAH_ERR_DB_WRITE' });
  const reopened = await openPersistence(dir.file);
  t.after(() => reopened.destroy());
  assert.equal((await reopened.createRetainedStream('home/last/state').toArray()).length, 1);
});
