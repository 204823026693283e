import { test } from 'node:test';
import assert from 'node:assert/strict';
import sqlite3 from 'sqlite3';
import { transactionScript } from '../../../server/mqtt/persistence/sql-script.js';

const upsert = { sql: 'INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v' };
const remove = { sql: 'DELETE FROM kv WHERE k = ?' };

test('consecutive runs of one INSERT become one multi-row statement; other statements stay in their place', () => {
  const script = transactionScript([[upsert, ['a', 1]], [upsert, ['b', 2]], [remove, ['a']], [upsert, ['a', 3]]]);
  assert.equal(
    script,
    "BEGIN;\nINSERT INTO kv (k, v) VALUES ('a', 1),('b', 2) ON CONFLICT (k) DO UPDATE SET v = excluded.v;\nDELETE FROM kv WHERE k = 'a';\n" +
      "INSERT INTO kv (k, v) VALUES ('a', 3) ON CONFLICT (k) DO UPDATE SET v = excluded.v;\nCOMMIT;",
  );
});

test('run by SQLite, the rows of one statement apply in order: the last write of a key wins, deletes between runs hold', async () => {
  const db = new sqlite3.Database(':memory:');
  const exec = (sql: string): Promise<void> => new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  await exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v)');
  const statements: Array<[{ sql: string }, Array<string | number>]> = [];
  for (let round = 0; round < 3; round++) for (let k = 0; k < 700; k++) statements.push([upsert, [`k${k % 300}`, round * 1000 + k]]);
  statements.push([remove, ['k0']]);
  await exec(transactionScript(statements));
  const rows = await new Promise<Array<{ k: string; v: number }>>((resolve, reject) => db.all('SELECT k, v FROM kv ORDER BY rowid', (err, r) => (err ? reject(err) : resolve(r as Array<{ k: string; v: number }>))));
  // 2,100 writes over 300 keys (statements of at most 500 rows, so the runs span statements): each key's value is its
  // last write, 2000 + the last k of that key in round 2.
  assert.equal(rows.length, 299);
  for (const { k, v } of rows) {
    const key = Number(k.slice(1));
    assert.equal(v, 2000 + (key + 600 < 700 ? key + 600 : key + 300), k);
  }
  db.close();
});
