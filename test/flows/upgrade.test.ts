import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { startHub, tempDir } from '../helpers/hub.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { checkHouse } from '../helpers/house.js';
import { runCli, runMain } from '../helpers/process.js';
import { knownSchema } from '../../server/backup/contents.js';
import { inspectBackup } from '../../server/backup/restore.js';
import { loadKit } from '../../server/backup/kit.js';
import { loginAsAdmin } from '../helpers/http.js';

// Data folders written by earlier rumahs (test/fixtures/data-*, made by test/fixtures/make-upgrade-fixture.ts) open
// in this one with everything in place; what must be migrated is backed up first; a newer rumah's data is refused.

interface FixtureHouse {
  madeBy: string;
  schema: { rumah: number; broker: number };
  password: string;
  readings: number;
}

const fixtures = fs.readdirSync(fixturesDir).filter((n) => n.startsWith('data-'));

function copyFixture(name: string): { dir: string; house: FixtureHouse; cleanup: () => void } {
  const root = tempDir('rumah-upgrade-');
  const dir = path.join(root, 'data');
  fs.cpSync(path.join(fixturesDir, name), dir, { recursive: true });
  const house = JSON.parse(fs.readFileSync(path.join(dir, 'house.json'), 'utf8')) as FixtureHouse;
  fs.rmSync(path.join(dir, 'house.json'));
  return { dir, house, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

function sql(file: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.exec(text, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

function backupsIn(dir: string): string[] {
  const folder = path.join(dir, 'backups');
  return fs.existsSync(folder) ? fs.readdirSync(folder).filter((n) => n.startsWith('pre-migration-')) : [];
}

function folderPrint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    // rumah.lock: made by the start that refuses, holds nothing.
    if (name !== 'rumah.lock' && fs.statSync(file).isFile()) out[name] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

for (const name of fixtures) {
  test(`${name}: opens with every device, credential, rule, retained message and history row in place`, async (t) => {
    const { dir, house, cleanup } = copyFixture(name);
    t.after(cleanup);
    const hub = await startHub({}, { dataDir: dir });
    t.after(() => hub.stop());
    await checkHouse(hub, house);
    // Its dashboard admin logs in; its rumah.yaml is still read.
    await loginAsAdmin(hub.httpUrl);
    const migrated = house.schema.rumah < knownSchema.rumah || house.schema.broker < knownSchema.broker;
    assert.equal(backupsIn(dir).length, migrated ? 1 : 0, 'a backup before migrating, and only then');
  });
}

test('data an older rumah wrote is backed up before its migrations run, and that backup restores', async (t) => {
  // Made older by hand from the fixture of rumah.db 4 and broker.db 2 (the SQL below undoes exactly those schemas).
  const { dir, house, cleanup } = copyFixture('data-0.1.0-r4-b2');
  t.after(cleanup);
  // An older rumah's folder: rumah.db before migration 4 (API token scopes), broker.db before migration 2.
  await sql(path.join(dir, 'rumah.db'), 'ALTER TABLE api_tokens DROP COLUMN scope; PRAGMA user_version = 3;');
  await sql(path.join(dir, 'broker.db'), 'DROP TABLE session_expiry; PRAGMA user_version = 1;');
  const hub = await startHub({}, { dataDir: dir });
  await checkHouse(hub, house);
  await hub.stop();

  const [backup] = backupsIn(dir);
  assert.ok(backup, 'a pre-migration backup was made');
  const file = path.join(dir, 'backups', backup);
  assert.deepEqual(inspectBackup(file).schema, { rumah: 3, broker: 1 }, 'of the data as it was before the migrations');
  // Undoing the upgrade: the backup restores the old schemas (which this rumah migrates again, backing up again).
  const undone = path.join(path.dirname(dir), 'undone');
  const out = await runCli(['restore', file, '--data', undone, '--key', loadKit(dir)!.text]);
  assert.equal(out.code, 0, out.stderr);
  const headerVersion = (f: string) => fs.readFileSync(f).readUInt32BE(60);
  assert.equal(headerVersion(path.join(undone, 'rumah.db')), 3);
  assert.equal(headerVersion(path.join(undone, 'broker.db')), 1);
});

for (const db of ['rumah.db', 'broker.db'] as const) {
  test(`a ${db} written by a newer rumah is refused with exit 3 and a clear message; nothing is changed`, async (t) => {
    const { dir, cleanup } = copyFixture(fixtures.sort().at(-1)!);
    t.after(cleanup);
    const newer = (db === 'rumah.db' ? knownSchema.rumah : knownSchema.broker) + 1;
    await sql(path.join(dir, db), `PRAGMA user_version = ${newer}`);
    const before = folderPrint(dir);
    const out = await runMain(['--data', dir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn'], { RUMAH_ADMIN_PASSWORD: 'test-admin-password' });
    assert.equal(out.code, 3, out.stderr);
    assert.match(out.stderr, new RegExp(`written by a newer rumah: ${db.replace('.', '\\.')} has schema version ${newer}, this rumah knows`));
    assert.deepEqual(folderPrint(dir), before, 'the data folder is untouched');
    assert.equal(backupsIn(dir).length, 0);
  });
}
