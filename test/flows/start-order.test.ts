import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { Hub } from '../../server/hub.js';
import { defaults, type Config } from '../../server/config/schema.js';
import { adminPassword, connect, end, tempDir, waitFor } from '../helpers/hub.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { startRulesHub } from './rules-helpers.js';
import { isRumahError } from '../../server/core/errors.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Start order (docs/benchmarks.md, "Memory and start-up"): the MQTT listeners open before the dashboard's modules are
// loaded, and runtime.json is written only once every listener, the dashboard's included, is up. Seen from outside
// without timing: the web port is taken by another program, so the dashboard cannot come up; MQTT answers all the same,
// and no runtime.json names ports of a hub that did not start.

function listenOn(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

test('MQTT answers before the dashboard is up; runtime.json waits for both', async (t) => {
  const busy = net.createServer();
  const httpPort = await listenOn(busy);
  t.after(() => busy.close());
  // A port that was free a moment ago, for MQTT (the hub is given it rather than 0, to find it without runtime.json).
  const probe = net.createServer();
  const mqttPort = await listenOn(probe);
  await new Promise((r) => probe.close(r));

  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const config: Config = {
    ...defaults, dataDir, bind: '127.0.0.1', log: { level: 'silent' },
    mqtt: { ...defaults.mqtt, port: mqttPort }, http: { ...defaults.http, port: httpPort },
  };
  const hub = new Hub({ config, log: pino({ level: 'silent' }), adminPassword });
  t.after(() => hub.stop());

  const err = await hub.start().then(() => undefined, (e: unknown) => e);
  assert.ok(isRumahError(err), `the start fails on the web port: ${String(err)}`);
  assert.match(err.message, new RegExp(`cannot listen for HTTP on 127\\.0\\.0\\.1:${httpPort}`));
  assert.equal(fs.existsSync(path.join(dataDir, 'runtime.json')), false, 'no runtime.json for a hub whose dashboard is not up');

  // The broker was already listening and serving logins when the dashboard's turn came.
  const client = await connect(`mqtt://127.0.0.1:${mqttPort}`, { username: 'admin', password: adminPassword, reconnectPeriod: 0 });
  assert.equal(client.connected, true);
  await end(client);
});

test('a notification a rule sends as the hub starts, before the dashboard is up, is shown to a dashboard that connects later', async (t) => {
  const h = await startRulesHub({
    files: { 'hello.yaml': ['id: hello', 'triggers: [{trigger: start}]', 'actions: [{action: notify, title: "up", message: "the hub started"}]', ''].join('\n') },
  });
  t.after(() => h.stop());
  const live = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'admin', adminPassword) });
  t.after(() => live.socket.close());
  const first = await waitFor(() => live.notifications[0], 10_000, 'the kept notifications on connect');
  assert.deepEqual(first.notifications.map((n) => [n.title, n.message, n.ruleId]), [['up', 'the hub started', 'hello']]);
});
