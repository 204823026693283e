import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startHub } from '../helpers/hub.js';
import { client, loginAsAdmin, readMetrics } from '../helpers/http.js';
import { freePort, mosquittoBin, startMosquitto } from '../helpers/mosquitto.js';
import { bridge, linkOf, until } from '../helpers/bridge-out.js';

const skip = mosquittoBin() ? false : 'mosquitto is not installed';

test('a bridge\'s state, queue and counts on /metrics, /healthz and the broker page; it reconnects by itself when the remote returns', { skip }, async (t) => {
  let remote = await startMosquitto([]);
  const port = remote.port;
  t.after(() => remote.stop());
  const nobody = await freePort();
  const hub = await startHub({
    bridges: [
      bridge({ name: 'cloud', url: `mqtt://127.0.0.1:${port}`, username: 'house', password: 'bridge-secret-1', required: true, topics: ['a/# out 1'] }),
      bridge({ name: 'friend', url: `mqtt://127.0.0.1:${nobody}`, topics: ['b/# both 0'] }),
    ],
  });
  t.after(() => hub.stop());
  await until('the bridge to connect', () => linkOf(hub.hub, 'cloud').state === 'connected');
  const anon = client(hub.httpUrl);

  let health = await anon.get('/healthz');
  assert.equal(health.status, 200, 'a bridge that is not required does not make the hub unhealthy');
  assert.equal(health.body.checks['bridge:cloud'].ok, true);
  assert.equal(health.body.checks['bridge:friend'].ok, true);
  assert.match(health.body.checks['bridge:friend'].detail, /^(down|connecting)/);

  let metrics = await readMetrics(hub);
  assert.match(metrics, /^rumah_bridge_connected\{bridge="cloud"\} 1$/m);
  assert.match(metrics, /^rumah_bridge_connected\{bridge="friend"\} 0$/m);
  assert.match(metrics, /^rumah_bridge_queue_depth\{bridge="cloud"\} 0$/m);

  const admin = await loginAsAdmin(hub.httpUrl);
  const page = await admin.get('/api/broker');
  assert.equal(page.status, 200);
  const cloud = page.body.outboundBridges.find((b: { name: string }) => b.name === 'cloud');
  assert.equal(cloud.state, 'connected');
  assert.deepEqual(cloud.topics, ['a/# out 1 "" ""']);
  assert.ok(!JSON.stringify(page.body).includes('bridge-secret-1'), 'the password is not shown');

  // The remote goes away: the required bridge turns /healthz to 503, with why.
  await remote.stop();
  await until('the bridge to see the remote gone', () => linkOf(hub.hub, 'cloud').state !== 'connected');
  health = await anon.get('/healthz');
  assert.equal(health.status, 503);
  assert.equal(health.body.checks['bridge:cloud'].ok, false);
  assert.match(health.body.checks['bridge:cloud'].detail, /messages queued/);
  metrics = await readMetrics(hub);
  assert.match(metrics, /^rumah_bridge_connected\{bridge="cloud"\} 0$/m);

  // It comes back on the same port: the bridge reconnects on its own (backoff), and the hub is healthy again.
  remote = await startMosquitto([], { port });
  await until('the bridge to reconnect', () => linkOf(hub.hub, 'cloud').state === 'connected', 60_000);
  health = await anon.get('/healthz');
  assert.equal(health.status, 200);
  metrics = await readMetrics(hub);
  assert.match(metrics, /^rumah_bridge_connects_total\{bridge="cloud"\} 2$/m);
});
