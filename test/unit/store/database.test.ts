import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import { Database } from '../../../server/store/database.js';
import { silentLog, tempDir } from './helpers.js';

async function open(t: import('node:test').TestContext): Promise<Database> {
  const db = await Database.open(path.join(tempDir(), 'test.db'), silentLog());
  t.after(() => db.close());
  return db;
}

test('open creates the file and sets WAL, NORMAL sync, busy timeout, foreign keys and a 16 MB page cache', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'new.db');
  const db = await Database.open(file, silentLog());
  t.after(() => db.close());
  assert.ok(fs.existsSync(file));
  assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal');
  assert.equal((await db.get<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous, 1);
  assert.equal((await db.get<{ timeout: number }>('PRAGMA busy_timeout'))?.timeout, 5000);
  assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
  assert.equal((await db.get<{ cache_size: number }>('PRAGMA cache_size'))?.cache_size, -16_000);
});

test('run returns changes and lastID; get and all read rows', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const r = await db.run('INSERT INTO t (v) VALUES (?), (?)', ['a', 'b']);
  assert.deepEqual(r, { changes: 2, lastID: 2 });
  assert.deepEqual(await db.get('SELECT v FROM t WHERE id = ?', [1]), { v: 'a' });
  assert.equal(await db.get('SELECT v FROM t WHERE id = ?', [9]), undefined);
  assert.deepEqual(await db.all('SELECT v FROM t ORDER BY id'), [{ v: 'a' }, { v: 'b' }]);
});

test('transaction commits, and rolls back when fn throws', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE t (v INTEGER)');
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (1)');
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (2)');
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 1 }]);
});

test('concurrent transactions are serialised: read-modify-write loses no update', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE c (n INTEGER); INSERT INTO c VALUES (0)');
  const increment = () =>
    db.transaction(async (tx) => {
      const { n } = (await tx.get<{ n: number }>('SELECT n FROM c'))!;
      await new Promise((r) => setTimeout(r, 1)); // let the others try to interleave
      await tx.run('UPDATE c SET n = ?', [n + 1]);
    });
  await Promise.all(Array.from({ length: 20 }, increment));
  assert.equal((await db.get<{ n: number }>('SELECT n FROM c'))?.n, 20);
});

test('a statement issued by someone else during a transaction does not roll back with it', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE t (v INTEGER)');
  let opened!: () => void;
  const isOpen = new Promise<void>((r) => (opened = r));
  const tx = db.transaction(async (inside) => {
    await inside.run('INSERT INTO t VALUES (1)');
    opened();
    await new Promise((r) => setTimeout(r, 10));
    throw new Error('boom');
  });
  await isOpen;
  const outside = db.run('INSERT INTO t VALUES (2)'); // another caller, while the transaction is open
  await assert.rejects(tx, /boom/);
  await outside;
  assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 2 }]);
});

test('a nested transaction joins the outer one', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE t (v INTEGER)');
  await db.transaction(async (tx) => {
    await tx.transaction(async (inner) => inner.run('INSERT INTO t VALUES (1)'));
  });
  assert.equal((await db.all('SELECT v FROM t')).length, 1);
});

test('a prepared statement given the Tx runs inside the transaction and rolls back with it', async (t) => {
  const db = await open(t);
  await db.exec('CREATE TABLE t (v INTEGER)');
  const ins = await db.prepare('INSERT INTO t VALUES (?)');
  await assert.rejects(
    db.transaction(async (tx) => {
      await ins.run([1], tx);
      assert.deepEqual(await tx.all('SELECT v FROM t'), [{ v: 1 }]);
      throw new Error('boom');
    }),
    /boom/,
  );
  await db.transaction(async (tx) => void (await ins.run([2], tx)));
  assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 2 }]);
  const other = await open(t);
  await assert.rejects(other.transaction((tx) => ins.run([3], tx)), /another database/);
  await ins.finalize();
});

test('prepared statements run repeatedly; close finalizes them and is idempotent', async (t) => {
  const dir = tempDir();
  const db = await Database.open(path.join(dir, 'p.db'), silentLog());
  await db.exec('CREATE TABLE t (v INTEGER)');
  const ins = await db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 5; i++) await ins.run([i]);
  const sel = await db.prepare('SELECT count(*) AS n FROM t WHERE v >= ?');
  assert.deepEqual(await sel.get([3]), { n: 2 });
  await Promise.all([db.close(), db.close()]);
  await db.close();
});

test('a file of garbage gives DB_OPEN naming the file and what to do', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'rumah.db');
  fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
  await assert.rejects(Database.open(file, silentLog()), (err: unknown) => {
    assert.ok(err instanceof RumahError);
    assert.equal(err.code, ErrorCodes.DB_OPEN);
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, /move the file aside/);
    return true;
  });
});

test('a damaged page found by quick_check gives DB_OPEN', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'rumah.db');
  const db = await Database.open(file, silentLog());
  await db.exec('PRAGMA journal_mode = DELETE; CREATE TABLE t (v TEXT); CREATE INDEX t_v ON t (v);');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 2000; i++) await tx.run('INSERT INTO t VALUES (?)', [`value ${i} `.repeat(10)]);
  });
  await db.close();
  // Overwrite a page in the middle with garbage: the header still says "SQLite format 3".
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096 * 5);
  fs.closeSync(fd);
  await assert.rejects(Database.open(file, silentLog()), (err: unknown) => {
    assert.ok(err instanceof RumahError);
    assert.equal(err.code, ErrorCodes.DB_OPEN);
    assert.ok(err.message.includes(file), err.message);
    return true;
  });
});

test('a file that cannot be opened gives DB_OPEN with the file name', async (t) => {
  const file = path.join(tempDir(), 'missing-folder', 'rumah.db');
  await assert.rejects(Database.open(file, silentLog()), (err: unknown) => {
    assert.ok(err instanceof RumahError);
    assert.equal(err.code, ErrorCodes.DB_OPEN);
    assert.ok(err.message.includes(file));
    return true;
  });
});
