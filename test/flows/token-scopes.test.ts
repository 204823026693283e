// API token scopes (issue 15, item 17): metrics, read, control, admin. A token is held to its scope on every route
// and on the dashboard socket; the /metrics token of a monitoring box cannot create users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../helpers/http.js';
import { connect, deviceAccount, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { liveConnect } from '../e2e/lib/socket-client.js';
import type { TokenScope } from '../../server/store/api-tokens-repo.js';

test('each scope reaches what it says and nothing more', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const lamp = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(lamp));
  await publish(lamp, 'ourhome/gf/hall/lamp', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-gf-hall-lamp'), 5000, 'the lamp');
  const as = async (scope: TokenScope) => client(hub.httpUrl, { authorization: `Bearer ${await hub.hub.store.apiTokens.create(`t-${scope}`, Date.now(), scope)}` });
  const [metrics, read, control, admin] = await Promise.all((['metrics', 'read', 'control', 'admin'] as const).map(as));
  const command = (api: typeof read) => api.post('/api/devices/ourhome-gf-hall-lamp/command', { property: 'lamp', value: true });
  const newUser = (api: typeof read, name: string) => api.post('/api/users', { username: name, password: 'long-enough-pw', role: 'admin' });

  assert.equal((await metrics.get('/metrics')).status, 200);
  assert.equal((await metrics.get('/api/devices')).status, 403);
  const refused = await newUser(metrics, 'intruder');
  assert.equal(refused.status, 403);
  assert.match(refused.body.error.message, /only read \/metrics/);

  assert.equal((await read.get('/api/devices')).status, 200);
  assert.equal((await read.get('/metrics')).status, 200);
  assert.equal((await command(read)).status, 403);

  assert.equal((await control.get('/api/devices')).status, 200);
  assert.equal((await command(control)).status, 202);
  assert.equal((await newUser(control, 'intruder')).status, 403);

  assert.equal((await newUser(admin, 'second-admin')).status, 201);
  assert.deepEqual((await hub.hub.store.apiTokens.list()).map((x) => [x.name, x.scope]), [['t-admin', 'admin'], ['t-control', 'control'], ['t-metrics', 'metrics'], ['t-read', 'read']]);
});

test('the dashboard socket: a metrics token opens none, a read token sees devices but cannot command them', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const token = (scope: TokenScope) => hub.hub.store.apiTokens.create(`s-${scope}`, Date.now(), scope);
  await assert.rejects(liveConnect(hub.httpUrl, { authorization: `Bearer ${await token('metrics')}` }), (err: Error & { data?: { code: string } }) => err.data?.code === 'RUMAH_ERR_FORBIDDEN');
  const { socket, snapshot } = await liveConnect(hub.httpUrl, { authorization: `Bearer ${await token('read')}` });
  t.after(() => socket.close());
  assert.ok(Array.isArray(snapshot.devices));
  const ack = await socket.emitWithAck('command', { deviceId: 'any', property: 'on', value: true });
  assert.deepEqual([ack.ok, (ack as { error?: string }).error], [false, 'RUMAH_ERR_FORBIDDEN']);
});
