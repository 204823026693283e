import { test } from 'node:test';
import assert from 'node:assert/strict';
import sqlite3 from 'sqlite3';
import { inlineParams, literal } from '../../../server/mqtt/persistence/sql-literal.js';

test('values become SQL literals that SQLite reads back exactly', async () => {
  const db = new sqlite3.Database(':memory:');
  const values = ["it's", 'a;b--c', 'x\u0000y', 'ünïcødé 🌡', '', 42, -1.5e-7, 2 ** 53, 9007199254740993n, null, Buffer.from([0, 1, 255])];
  const sql = `SELECT ${values.map((v, i) => `${literal(v)} AS c${i}`).join(', ')}`;
  const row = await new Promise<Record<string, unknown>>((resolve, reject) => db.get(sql, (err, r) => (err ? reject(err) : resolve(r as Record<string, unknown>))));
  const got = values.map((_, i) => row[`c${i}`]);
  assert.deepEqual(got.slice(0, 8), values.slice(0, 8));
  assert.equal(String(got[8]), '9007199254740992', 'a bigint beyond 2^53 is stored as SQLite INTEGER (read back by node as a double)');
  assert.equal(got[9], null);
  assert.deepEqual(got[10], Buffer.from([0, 1, 255]));
  db.close();
});

test('placeholders are counted: a mismatch is an error, not a silent shift', () => {
  assert.equal(inlineParams('DELETE FROM t WHERE a = ? AND b = ?', ['x', 1]), "DELETE FROM t WHERE a = 'x' AND b = 1");
  assert.throws(() => inlineParams('DELETE FROM t WHERE a = ?', []), /1 placeholders, got 0/);
});
