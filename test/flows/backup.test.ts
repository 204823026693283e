import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { connect, end, publish, startHub, tempDir, waitFor } from '../helpers/hub.js';
import { runCli } from '../helpers/process.js';
import { checkHouse, furnish, historyRows, TEMPERATURE_TOPIC, RULE_ID } from '../helpers/house.js';
import { loadKit } from '../../server/backup/kit.js';
import { createBackup } from '../../server/backup/create.js';
import { inspectBackup } from '../../server/backup/restore.js';
import { knownSchema } from '../../server/backup/contents.js';
import { BackupService } from '../../server/backup/service.js';
import { defaults } from '../../server/config/schema.js';
import { canMountTmpfs, mountTmpfs } from '../helpers/tmpfs.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

/** Every file under `dir` with its sha256: "untouched" means this is the same before and after. */
function folderPrint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const file = path.join(rel, name);
      const stat = fs.statSync(path.join(dir, file));
      if (stat.isDirectory()) walk(file);
      else out[file] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, file))).digest('hex');
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

test('backup under load, restore on a fresh folder: devices, credentials, rules, retained messages and history are back', async (t) => {
  const work = tempDir('rumah-backup-');
  removeWhenDone(work);
  // TLS on: its local CA and certificate are part of the house (and the CLI reaches the hub over pinned HTTPS).
  const tls = { ...defaults.tls, enabled: true, mqttPort: 0 };
  const yaml = 'history:\n  rawDays: 3650\n';
  fs.mkdirSync(path.join(work, 'source'));
  fs.writeFileSync(path.join(work, 'source', 'rumah.yaml'), yaml);
  const source = await startHub({ tls }, { dataDir: path.join(work, 'source') });
  let sourceStopped = false;
  t.after(async () => {
    if (!sourceStopped) await source.stop();
  });
  const house = await furnish(source);
  const rowsBefore = await historyRows(source);
  const lastTs = (await source.hub.store.db.get<{ ts: number }>('SELECT max(ts) AS ts FROM history'))!.ts;
  const caFingerprint = source.hub.tls!.info.caFingerprint256;
  assert.ok(caFingerprint);
  await new Promise((r) => setTimeout(r, 5)); // the load's rows come in a later millisecond than lastTs

  // A device publishing all through the backup: the copy must still be of one moment, and the hub keep serving.
  const loader = await connect(source.mqttUrl, { username: 'kitchen-sensor', password: house.password, clientId: 'loader' });
  let published = 0;
  let loading = true;
  const load = (async () => {
    while (loading && published < 20_000) {
      await publish(loader, TEMPERATURE_TOPIC, String(10 + (published++ % 1000) / 1000), { qos: 1 });
    }
  })();
  await waitFor(() => published > 50, 10_000, 'load running');
  const file = path.join(work, 'house.rumahbackup');
  // The CLI finds the running hub (runtime.json) and asks it for the backup, printing its progress.
  const publishedBefore = published;
  const made = await runCli(['backup', file, '--data', source.dataDir]);
  const publishedDuring = published - publishedBefore;
  loading = false;
  await load;
  await end(loader);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /backup written: .*house\.rumahbackup/);
  assert.ok(publishedDuring > 0, 'the device was publishing (and acknowledged) while the backup ran');
  // The key is shown this once, and it is the data folder's kit.
  const kit = loadKit(source.dataDir)!;
  assert.ok(made.stdout.includes(kit.text), made.stdout);
  const again = await runCli(['backup', path.join(work, 'second.rumahbackup'), '--data', source.dataDir]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!again.stdout.includes(kit.text), 'the key is not shown twice');

  const header = inspectBackup(file);
  assert.deepEqual(header.schema, knownSchema);
  assert.equal(header.keyId, kit.id);
  // The archive is encrypted: no SQLite header, no rule text in the clear.
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.indexOf('SQLite format 3'), -1);
  assert.equal(bytes.indexOf(RULE_ID), -1);
  sourceStopped = true;
  await source.stop();

  const fresh = path.join(work, 'fresh');
  const restored = await runCli(['restore', file, '--data', fresh, '--key', kit.text.toLowerCase()]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /restored/);
  assert.match(restored.stderr, /decrypt/, 'progress is printed');

  const target = await startHub({ tls }, { dataDir: fresh });
  t.after(() => target.stop());
  await checkHouse(target, house, rowsBefore);
  // Every history row of before the backup, exactly; the TLS material (same CA) and rumah.yaml.
  const restoredRows = (await target.hub.store.db.get<{ n: number }>('SELECT count(*) AS n FROM history WHERE ts <= ?', [lastTs]))!.n;
  assert.equal(restoredRows, rowsBefore);
  assert.equal(target.hub.tls!.info.caFingerprint256, caFingerprint);
  assert.equal(fs.readFileSync(path.join(fresh, 'rumah.yaml'), 'utf8'), yaml);
  // The restored folder's next backups use the key it was restored with.
  assert.equal(loadKit(fresh)?.id, kit.id);
});

test('a corrupt, a truncated, a wrongly keyed and a too new backup are refused, and the data folder is untouched', async (t) => {
  const work = tempDir('rumah-backup-bad-');
  removeWhenDone(work);
  const hub = await startHub({}, { dataDir: path.join(work, 'house') });
  const house = await furnish(hub, 5);
  await hub.stop();
  const made = await runCli(['backup', path.join(work, 'good.rumahbackup'), '--data', hub.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  const kit = loadKit(hub.dataDir)!;
  const good = fs.readFileSync(path.join(work, 'good.rumahbackup'));

  const flipped = Buffer.from(good);
  flipped[flipped.length - 40]! ^= 0x01;
  fs.writeFileSync(path.join(work, 'flipped.rumahbackup'), flipped);
  fs.writeFileSync(path.join(work, 'truncated.rumahbackup'), good.subarray(0, good.length - 100));
  // Too new: a house whose rumah.db says a schema version this rumah does not know, backed up with the same key.
  const newer = path.join(work, 'newer-house');
  fs.cpSync(hub.dataDir, newer, { recursive: true });
  const sqlite3 = (await import('sqlite3')).default;
  await new Promise<void>((resolve, reject) => {
    const db = new sqlite3.Database(path.join(newer, 'rumah.db'), (err) => {
      if (err) return reject(err);
      db.exec(`PRAGMA user_version = ${knownSchema.rumah + 1}`, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
  await createBackup({ dataDir: newer, kit, file: path.join(work, 'newer.rumahbackup') });

  const target = path.join(work, 'target');
  fs.cpSync(hub.dataDir, target, { recursive: true });
  const before = folderPrint(target);
  const cases: Array<[string, RegExp, string?]> = [
    ['flipped.rumahbackup', /fails its authentication tag/],
    ['truncated.rumahbackup', /truncated/],
    ['newer.rumahbackup', /made by a newer rumah/],
    ['good.rumahbackup', /another backup key/, 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-ABCD-EFGH-IJKL-MNOP-QRST'],
  ];
  for (const [name, message, key] of cases) {
    const out = await runCli(['restore', path.join(work, name), '--data', target, '--key', key ?? kit.text]);
    assert.notEqual(out.code, 0, `${name} is refused`);
    assert.match(out.stderr, message, name);
    assert.match(out.stderr, /Nothing was changed/, name);
    assert.deepEqual(folderPrint(target), before, `${name}: the data folder is untouched`);
  }
  // The good one, with the folder's own key (read from it: no --key needed on the same folder), restores.
  const ok = await runCli(['restore', path.join(work, 'good.rumahbackup'), '--data', target]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /the files it replaced are in .*replaced-/, 'what it replaced is kept, not deleted');
  const back = await startHub({}, { dataDir: target });
  t.after(() => back.stop());
  await checkHouse(back, house);
});

test('restore is refused while a hub runs on the folder', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const made = await runCli(['backup', '--data', hub.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  const file = made.stdout.match(/backup written: (\S+)/)![1]!;
  const before = folderPrint(path.join(hub.dataDir, 'rules'));
  const out = await runCli(['restore', file, '--data', hub.dataDir]);
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /another rumah \(pid \d+\) is running on the data folder/);
  assert.deepEqual(folderPrint(path.join(hub.dataDir, 'rules')), before);
  assert.ok(!fs.existsSync(path.join(hub.dataDir, '.restore')));
});

test('automatic backups keep the newest backup.keep; the API reports progress and shows the key once', async (t) => {
  const hub = await startHub({ backup: { ...defaults.backup, keep: 2 } });
  t.after(() => hub.stop());
  const service = new BackupService({ dataDir: hub.dataDir, settings: { enabled: false, schedule: '0 3 * * *', keep: 2 }, log: pino({ level: 'silent' }) });
  const names: string[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await service.run('auto');
    names.push(path.basename(out.file));
    assert.equal(out.key, undefined, 'an automatic backup never shows the key');
    await new Promise((r) => setTimeout(r, 1100)); // file names are to the second
  }
  assert.deepEqual(service.list().map((b) => b.name), [names[2], names[1]]);

  const { loginAsAdmin } = await import('../helpers/http.js');
  const api = await loginAsAdmin(hub.httpUrl);
  const first = await api.post('/api/backups', {});
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal(first.body.key, loadKit(hub.dataDir)!.text, 'the first backup a person asks for shows the key');
  const second = await api.post('/api/backups', {});
  assert.equal(second.status, 201);
  assert.equal(second.body.key, undefined, 'and only that one');
  const listed = await api.get('/api/backups');
  assert.ok(listed.body.backups.some((b: { name: string }) => b.name === second.body.name));
  const progress = await api.get('/api/backups/progress');
  assert.equal(progress.status, 200);
  assert.ok('job' in progress.body);
});

const canMount = canMountTmpfs();

test('a backup that would leave the hub too little disk is refused before writing anything', { skip: canMount ? false : 'needs the right to mount a small tmpfs (root)' }, async (t) => {
  const disk = tempDir('rumah-small-disk-');
  assert.ok(mountTmpfs(disk, '32m'));
  t.after(() => {
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(disk, { recursive: true, force: true });
  });
  const hub = await startHub({}, { dataDir: path.join(disk, 'data') });
  await hub.stop();
  const before = folderPrint(hub.dataDir);
  const out = await runCli(['backup', '--data', hub.dataDir]);
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /not enough free disk space for a backup .* MiB free, \d+ MiB needed/);
  const after = folderPrint(hub.dataDir);
  // The key may be made (it is tiny, and the next backup needs it); no backup, work folder or partial file is left.
  delete after['backup-key.json'];
  assert.deepEqual(after, before);
});
