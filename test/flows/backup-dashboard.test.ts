import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, end, nextMessage, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { runCli, spawnFirstRun } from '../helpers/process.js';
import { furnish, RETAINED_TOPIC, sensor, TEMPERATURE_TOPIC } from '../helpers/house.js';
import { loginAsAdmin } from '../helpers/http.js';
import { loadKit } from '../../server/backup/kit.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// The first-run page's "restore a backup", through the real HTTP route of a real `node dist/server/main.js`: the
// upload is checked, the hub restarts itself onto the restored folder, and the old house's admin logs in.

interface Runtime {
  httpPort: number;
  mqttPort: number;
  startedAt: number;
}

test('a fresh hub restores a backup from its first-run page and restarts onto it', async (t) => {
  const work = tempDir('rumah-restore-web-');
  removeWhenDone(work);
  const source = await startHub({}, { dataDir: path.join(work, 'source') });
  const house = await furnish(source);
  await source.stop();
  const file = path.join(work, 'house.rumahbackup');
  const made = await runCli(['backup', file, '--data', source.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  const key = loadKit(source.dataDir)!.text;

  const dataDir = path.join(work, 'fresh');
  const { child, setupCode: code, stderr } = await spawnFirstRun(t, dataDir);
  const runtimeFile = path.join(dataDir, 'runtime.json');
  const first = await waitFor((): Runtime | undefined => (fs.existsSync(runtimeFile) ? (JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as Runtime) : undefined), 15_000, 'runtime.json');
  const url = `http://127.0.0.1:${first.httpPort}`;
  const body = fs.readFileSync(file);
  const post = (headers: Record<string, string>, data: Buffer = body, base = url) =>
    fetch(`${base}/api/setup/restore`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: data }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  // Refused: without the setup code, with a wrong one, with a wrong key, with a damaged file. Nothing is staged.
  assert.equal((await post({ 'x-backup-key': key })).status, 400);
  assert.equal((await post({ 'x-setup-code': 'wrong', 'x-backup-key': key })).status, 401);
  const wrongKey = await post({ 'x-setup-code': code, 'x-backup-key': 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-ABCD-EFGH-IJKL-MNOP-QRST' });
  assert.equal(wrongKey.status, 422);
  assert.equal(wrongKey.body.error.code, 'RUMAH_ERR_BACKUP_KEY');
  const cut = await post({ 'x-setup-code': code, 'x-backup-key': key }, body.subarray(0, body.length - 64));
  assert.equal(cut.status, 422);
  assert.match(cut.body.error.message, /^the uploaded backup is not a usable rumah backup: it is cut short \(truncated\)/);
  assert.ok(!fs.existsSync(path.join(dataDir, '.restore')));
  assert.equal((await fetch(`${url}/api/auth/status`).then((r) => r.json()) as any).setupRequired, true);

  // Its progress is for the one holding the setup code only.
  assert.equal((await fetch(`${url}/api/setup/restore/progress`)).status, 400);
  assert.equal((await fetch(`${url}/api/setup/restore/progress`, { headers: { 'x-setup-code': 'wrong' } })).status, 401);
  assert.deepEqual(await (await fetch(`${url}/api/setup/restore/progress`, { headers: { 'x-setup-code': code } })).json(), { job: null });

  const restored = await post({ 'x-setup-code': code, 'x-backup-key': key });
  assert.equal(restored.status, 200, JSON.stringify(restored.body));
  assert.equal(restored.body.restarting, true);

  // The same process stops its hub and starts a new one on the restored folder (new ports: they were 0).
  const second = await waitFor((): Runtime | undefined => {
    const r = JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as Runtime;
    return r.startedAt !== first.startedAt ? r : undefined;
  }, 20_000, `the restarted hub (stderr: ${stderr()})`);
  assert.equal(child.exitCode, null, 'the process lives on');
  const url2 = `http://127.0.0.1:${second.httpPort}`;
  assert.equal((await fetch(`${url2}/api/auth/status`).then((r) => r.json()) as any).setupRequired, false);
  // The old house's admin logs in and sees its devices; its device logs in and gets its retained message.
  const api = await loginAsAdmin(url2);
  const { body: list } = await api.get('/api/devices');
  assert.ok(list.devices.some((d: { topic: string }) => d.topic === TEMPERATURE_TOPIC));
  const device = await connect(`mqtt://127.0.0.1:${second.mqttPort}`, { username: sensor.username, password: house.password });
  try {
    const retained = nextMessage(device, (topic) => topic === RETAINED_TOPIC);
    await subscribe(device, RETAINED_TOPIC);
    assert.equal((await retained).payload, 'ON');
  } finally {
    await end(device);
  }
  // Setup is done: the route refuses from now on.
  assert.equal((await post({ 'x-setup-code': code, 'x-backup-key': key }, body, url2)).status, 409);
});
