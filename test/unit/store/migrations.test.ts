import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ErrorCodes, RumahError } from '../../../server/core/errors.js';
import { Database } from '../../../server/store/database.js';
import { latestVersion, migrate, migrations } from '../../../server/store/migrations.js';
import { silentLog, tempDir } from './helpers.js';

const TABLES = ['accounts', 'api_tokens', 'areas', 'bridge_queue', 'devices', 'history', 'history_hourly', 'logbook', 'mqttsn_clients', 'mqttsn_topics', 'rule_cron', 'rule_timers', 'rule_traces', 'series', 'sessions', 'settings', 'state', 'users'];

async function openAt(t: TestContext, file: string): Promise<Database> {
  const db = await Database.open(file, silentLog());
  t.after(() => db.close());
  return db;
}

async function userVersion(db: Database): Promise<number> {
  return (await db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version;
}

test('a fresh file gets every table and the latest user_version', async (t) => {
  const db = await openAt(t, path.join(tempDir(), 'm.db'));
  assert.equal(await migrate(db, silentLog()), latestVersion);
  assert.equal(await userVersion(db), latestVersion);
  const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  assert.deepEqual(
    tables.map((r) => r.name).filter((n) => !n.startsWith('sqlite_')),
    TABLES,
  );
  const hourly = await db.get<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'history_hourly'");
  assert.match(hourly!.sql, /WITHOUT ROWID/);
});

test('migrating again, and after a reopen, changes nothing and keeps the data', async (t) => {
  const file = path.join(tempDir(), 'm.db');
  const first = await Database.open(file, silentLog());
  await migrate(first, silentLog());
  await first.run("INSERT INTO settings (key, value) VALUES ('k', '1')");
  await migrate(first, silentLog()); // would fail on CREATE TABLE if it ran again
  await first.close();
  const second = await openAt(t, file);
  await migrate(second, silentLog());
  assert.equal(await userVersion(second), latestVersion);
  assert.deepEqual(await second.all('SELECT key, value FROM settings'), [{ key: 'k', value: '1' }]);
});

test('two processes migrating a fresh file at once both succeed (the CLI beside a starting hub)', async (t) => {
  const file = path.join(tempDir(), 'm.db');
  const a = await openAt(t, file);
  const b = await openAt(t, file);
  // Both read user_version 0 before either takes the write lock; the second must not run CREATE TABLE again.
  assert.deepEqual(await Promise.all([migrate(a, silentLog()), migrate(b, silentLog())]), [latestVersion, latestVersion]);
  assert.equal(await userVersion(b), latestVersion);
});

test('only newer migrations run, and a failing one rolls back entirely', async (t) => {
  const db = await openAt(t, path.join(tempDir(), 'm.db'));
  const list = [
    { version: 1, sql: 'CREATE TABLE a (x)' },
    { version: 2, sql: 'CREATE TABLE b (x); CREATE TABLE a (x)' }, // second statement fails
  ];
  await assert.rejects(migrate(db, silentLog(), list), (err: unknown) => {
    assert.ok(err instanceof RumahError && err.code === ErrorCodes.DB_OPEN);
    assert.match(err.message, /version 2/);
    return true;
  });
  assert.equal(await userVersion(db), 1);
  const names = (await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'")).map((r) => r.name);
  assert.deepEqual(names, ['a']);
  await migrate(db, silentLog(), [list[0]!, { version: 2, sql: 'CREATE TABLE b (x)' }]);
  assert.equal(await userVersion(db), 2);
});

test('a file from a newer rumah is refused with DB_OPEN', async (t) => {
  const db = await openAt(t, path.join(tempDir(), 'm.db'));
  await db.exec(`PRAGMA user_version = ${latestVersion + 1}`);
  await assert.rejects(migrate(db, silentLog()), (err: unknown) => err instanceof RumahError && err.code === ErrorCodes.DB_OPEN && /newer/.test(err.message));
});

test('migration versions must increase', async (t) => {
  const db = await openAt(t, path.join(tempDir(), 'm.db'));
  await assert.rejects(migrate(db, silentLog(), [{ version: 2, sql: '' }, { version: 1, sql: '' }]), /increasing/);
  assert.ok(migrations.every((m, i) => i === 0 || m.version > migrations[i - 1]!.version));
});
