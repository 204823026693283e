import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Database } from '../../../server/store/database.js';
import { readIn, RowsByKey } from '../../../server/store/rows-by-key.js';
import { silentLog, tempDir } from './helpers.js';

interface Row {
  name: string;
  version: number;
}

/** A table in memory behind a read that takes one turn and records each query's keys. */
function table(): { rows: Map<string, Row>; queries: string[][]; release: () => void; reader: RowsByKey<Row> } {
  const rows = new Map<string, Row>();
  const queries: string[][] = [];
  const waiting: Array<() => void> = [];
  const reader = new RowsByKey<Row>(
    (keys) => {
      queries.push(keys);
      // The query sees the table as it is when the query starts; its answer comes when the test releases it.
      const seen = keys.flatMap((k) => (rows.has(k) ? [{ ...rows.get(k)! }] : []));
      return new Promise((resolve) => waiting.push(() => resolve(seen)));
    },
    (row) => row.name,
  );
  return { rows, queries, release: () => waiting.splice(0).forEach((go) => go()), reader };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('lookups of one turn share one query, one key each; missing rows are undefined', async () => {
  const { rows, queries, release, reader } = table();
  rows.set('a', { name: 'a', version: 1 });
  rows.set('b', { name: 'b', version: 1 });
  const asked = [reader.get('a'), reader.get('b'), reader.get('a'), reader.get('nobody')];
  await turn();
  release();
  assert.deepEqual((await Promise.all(asked)).map((r) => r?.name), ['a', 'b', 'a', undefined]);
  assert.deepEqual(queries, [['a', 'b', 'nobody']]);
});

test('a lookup made while a query runs waits for the next query: it never sees a row read before it asked', async () => {
  const { rows, queries, release, reader } = table();
  rows.set('a', { name: 'a', version: 1 });
  const first = reader.get('a');
  await turn();
  assert.equal(queries.length, 1, 'the first query runs');
  // Changed after the first query started, then asked for: the answer must be the new row.
  rows.set('a', { name: 'a', version: 2 });
  const second = reader.get('a');
  await turn();
  assert.equal(queries.length, 1, 'one query at a time');
  release();
  assert.equal((await first)?.version, 1);
  await turn();
  assert.equal(queries.length, 2);
  release();
  assert.equal((await second)?.version, 2);
});

test('a failed query rejects its own lookups only', async () => {
  let fail = true;
  const reader = new RowsByKey<Row>(async (keys) => {
    if (fail) throw new Error('disk I/O error');
    return keys.map((name) => ({ name, version: 1 }));
  }, (row) => row.name);
  await assert.rejects(reader.get('a'), /disk I\/O error/);
  fail = false;
  assert.equal((await reader.get('a'))?.version, 1);
});

test('more keys than one query may carry are read in several', async () => {
  const seen: number[] = [];
  const reader = new RowsByKey<Row>(async (keys) => (seen.push(keys.length), keys.map((name) => ({ name, version: 1 }))), (row) => row.name);
  const all = await Promise.all(Array.from({ length: 1200 }, (_, i) => reader.get(`k${i}`)));
  assert.equal(all.filter(Boolean).length, 1200);
  assert.deepEqual(seen, [500, 500, 200]);
});

test('readIn: lists of every length find each row once, from one statement prepared per list length', async (t) => {
  const db = await Database.open(path.join(tempDir(), 'rows.db'), silentLog());
  t.after(() => db.close());
  await db.exec('CREATE TABLE t (name TEXT PRIMARY KEY, version INTEGER)');
  for (let i = 0; i < 600; i++) await db.run('INSERT INTO t (name, version) VALUES (?, ?)', [`k${i}`, i]);
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = (sql) => (prepared.push(sql), prepare(sql));
  const read = readIn<Row>(db, 'SELECT * FROM t WHERE name IN');
  for (const n of [1, 1, 2, 3, 4, 5, 16, 17, 64, 65, 500]) {
    // Each list holds one name the table lacks: the padding (the last key again) must not find it or repeat a row.
    const keys = [...Array.from({ length: n - 1 }, (_, i) => `k${(i * 7) % 600}`), 'nobody'];
    const rows = await read(keys);
    assert.deepEqual(rows.map((r) => r.name).sort(), keys.filter((k) => k !== 'nobody').sort(), `${n} keys`);
  }
  assert.equal((await read(['k5']))[0]?.version, 5);
  // 1, 4, 16, 64 and 500 placeholders: each prepared once, whatever the number of reads.
  assert.deepEqual(prepared.map((sql) => sql.split('?').length - 1), [1, 4, 16, 64, 500]);
});
