import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminPassword, connect, startHub, tempDir } from '../helpers/hub.js';
import { client, loginAsAdmin } from '../helpers/http.js';
import { mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, collect, linkOf, publish, subscribe, until } from '../helpers/bridge-out.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const skip = mosquittoBin() ? false : 'mosquitto is not installed';

test('an admin makes, changes and deletes an outbound bridge over the API; it runs at once, survives a restart, and its password is never shown', { skip }, async (t) => {
  const remote = await startMosquitto([]);
  t.after(() => remote.stop());
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const yaml = [bridge({ name: 'from-yaml', url: `mqtt://127.0.0.1:${remote.port}`, topics: ['y/# out 0'] })];
  let hub = await startHub({ bridges: yaml }, { dataDir });
  t.after(() => hub.stop());

  assert.equal((await client(hub.httpUrl).put('/api/broker/bridges/cloud', {})).status, 401, 'not without a login');
  let api = await loginAsAdmin(hub.httpUrl);
  const url = `mqtt://127.0.0.1:${remote.port}`;
  const made = await api.put('/api/broker/bridges/cloud', { url, username: 'house', password: 'bridge-secret-3', topics: ['a/# out 1 "" site/'] });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  assert.equal(made.body.hasPassword, true);
  assert.equal(made.body.source, 'dashboard');
  assert.ok(!JSON.stringify(made.body).includes('bridge-secret-3'));
  await until('the new bridge to connect', () => linkOf(hub.hub, 'cloud').state === 'connected');

  const far = await connect(url, { clientId: 'far' });
  t.after(() => far.end(true));
  const got = collect(far);
  await subscribe(far, 'site/#');
  const local = await connect(hub.mqttUrl, { username: 'admin', password: adminPassword });
  await publish(local, 'a/x', 'one');
  await until('the message at the remote', () => got.length >= 1);
  assert.deepEqual(got, ['site/a/x one']);

  const list = await api.get('/api/broker/bridges');
  assert.deepEqual(list.body.map((b: { name: string; source: string }) => `${b.name} ${b.source}`).sort(), ['cloud dashboard', 'from-yaml rumah.yaml']);
  assert.ok(!JSON.stringify(list.body).includes('bridge-secret-3'));

  // Changed without a password: the stored one is kept; the new rules apply at once.
  const changed = await api.put('/api/broker/bridges/cloud', { url, username: 'house', topics: ['b/# out 1 "" site/'] });
  assert.equal(changed.status, 200);
  assert.equal(hub.hub.bridges!.configOf('cloud')!.password, 'bridge-secret-3');
  await until('the changed bridge to connect', () => linkOf(hub.hub, 'cloud').state === 'connected');
  await publish(local, 'a/y', 'not any more');
  await publish(local, 'b/z', 'two');
  await until('the second message at the remote', () => got.length >= 2);
  assert.deepEqual(got, ['site/a/x one', 'site/b/z two']);
  local.end(true);

  // Bad input: every error at once, 400; rumah.yaml's bridges are not the dashboard's to change.
  const bad = await api.put('/api/broker/bridges/bad', { url: 'http://x', topics: ['a out 3'], cert: '/etc/ssl/private/x.pem', key: 'k.pem' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /url: .*topics\.0: qos "3"/);
  const outside = await api.put('/api/broker/bridges/bad', { url, topics: ['a'], cert: '../../x.pem', key: 'k.pem' });
  assert.equal(outside.status, 400);
  assert.match(outside.body.error.message, /cert: a file in the data directory/);
  assert.equal((await api.put('/api/broker/bridges/from-yaml', { url, topics: ['a'] })).status, 409);
  assert.equal((await api.del('/api/broker/bridges/from-yaml')).status, 409);
  assert.equal((await api.del('/api/broker/bridges/nothing')).status, 404);

  // A restart: the dashboard's bridge starts again from rumah.db.
  await hub.stop();
  hub = await startHub({ bridges: yaml }, { dataDir });
  await until('the saved bridge to connect after the restart', () => linkOf(hub.hub, 'cloud').state === 'connected');
  assert.equal(hub.hub.bridges!.configOf('cloud')!.password, 'bridge-secret-3');

  api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.del('/api/broker/bridges/cloud')).status, 200);
  assert.deepEqual((await api.get('/api/broker/bridges')).body.map((b: { name: string }) => b.name), ['from-yaml']);
  await hub.stop();
  hub = await startHub({ bridges: yaml }, { dataDir });
  assert.deepEqual(hub.hub.bridges!.view().map((b) => b.name), ['from-yaml'], 'deleted for good');
});
