// A rule file that cannot be read, or a rules "folder" that is a file, is reported; the hub starts and the other
// rules run (issue 15, item 13): one bad file must not put the house in a restart loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, deviceAccount, end, publish, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { account, login, observer, startRulesHub } from './rules-helpers.js';

const rule = (id: string) => [`id: ${id}`, 'triggers:', '  - trigger: mqtt', `    topic: test/${id}`, 'actions:', '  - action: publish', `    topic: out/${id}`, '    payload: ran', ''].join('\n');

test('an unreadable rule file is listed with its error; the hub starts and the other rule runs', async (t) => {
  const dataDir = tempDir('rumah-rules-');
  const rulesDir = path.join(dataDir, 'rules');
  fs.mkdirSync(rulesDir, { recursive: true });
  // A symlink to itself cannot be read by anyone, root included (ELOOP); chmod 000 would not stop root.
  fs.symlinkSync('loop.yaml', path.join(rulesDir, 'loop.yaml'));
  const h = await startRulesHub({ dataDir, files: { 'good.yaml': rule('good') } });
  t.after(async () => {
    await h.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const api = await login(h.httpUrl);
  const { body } = await api.get('/api/rules');
  const byFile = Object.fromEntries(body.rules.map((r: { file: string }) => [r.file, r]));
  assert.equal(byFile['good.yaml'].errors.length, 0);
  assert.equal(byFile['loop.yaml'].errors.length, 1);
  assert.match(byFile['loop.yaml'].errors[0].message, /cannot be read \(ELOOP/);
  assert.equal(byFile['loop.yaml'].errors[0].file, 'loop.yaml');

  const watcher = await connect(h.mqttUrl, await observer(h, 'watcher'));
  t.after(() => end(watcher));
  await subscribe(watcher, 'out/#');
  const ran = new Promise<string>((resolve) => watcher.on('message', (topic) => resolve(topic)));
  const client = await connect(h.mqttUrl, await account(h, 'client'));
  t.after(() => end(client));
  await publish(client, 'test/good', 'x');
  assert.equal(await ran, 'out/good');
});

test('a rules folder that is a file: the hub starts without rules and says why and what to do', async (t) => {
  const dataDir = tempDir('rumah-rules-');
  fs.writeFileSync(path.join(dataDir, 'rules'), 'not a folder');
  const hub = await startHub({}, { dataDir });
  t.after(async () => {
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const api = await loginAsAdmin(hub.httpUrl);
  const { status, body } = await api.get('/api/rules');
  assert.equal(status, 200);
  assert.deepEqual(body.rules, []);
  assert.match(body.folderError, /rules is not a folder: move it aside/);
  // Everything else works: a device still becomes a device.
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/gf/hall/lamp', 'on');
  await waitFor(() => hub.hub.registry.list().length === 1 || undefined, 5000, 'the device');
});
