// A rumah.db emptied to 0 bytes beside a broker.db or rules is refused, not started as a fresh install (issue 15,
// item 16): users, credentials and devices would be gone and a new admin made without a word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/hub.js';
import { runMain, spawnHub } from '../helpers/process.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const args = (dataDir: string) => ['--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1'];

test('a 0-byte rumah.db in a folder with broker.db and rules: exit 3, saying what happened and what to do; nothing written', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  // A real house first: one start makes rumah.db and broker.db; then a rule, and rumah.db truncated (a full disk).
  const hub = await spawnHub(dataDir);
  hub.child.kill('SIGTERM');
  assert.equal((await hub.exited).code, 0);
  fs.mkdirSync(path.join(dataDir, 'rules'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'rules', 'lights.yaml'), 'id: lights\n');
  fs.truncateSync(path.join(dataDir, 'rumah.db'));
  for (const f of ['rumah.db-wal', 'rumah.db-shm']) fs.rmSync(path.join(dataDir, f), { force: true });

  const res = await runMain(args(dataDir));
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /RUMAH_ERR_DB_OPEN: The database .*rumah\.db is empty \(0 bytes\), but this data folder has broker\.db and 1 rule file\(s\)/);
  assert.match(res.stderr, /restore rumah\.db from a backup/);
  assert.equal(fs.statSync(path.join(dataDir, 'rumah.db')).size, 0, 'nothing was written into it');
});

test('a 0-byte rumah.db alone (a folder made by hand) is a fresh install', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  fs.writeFileSync(path.join(dataDir, 'rumah.db'), '');
  const hub = await spawnHub(dataDir);
  hub.child.kill('SIGTERM');
  assert.equal((await hub.exited).code, 0);
  assert.ok(fs.statSync(path.join(dataDir, 'rumah.db')).size > 0);
});
