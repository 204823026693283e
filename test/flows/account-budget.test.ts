import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { connect, deviceAccount, end, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { readMetrics } from '../helpers/http.js';

// Issue 15, item 10: budgets per account, not per connection (server/mqtt/account-budget.ts). No timing is asserted:
// the order of events and the counters show it.
test('an account flooding from many connections is read at its budget; another account\'s QoS 1 publishes are acknowledged meanwhile; nothing acknowledged is lost', async (t) => {
  // A small budget so the flood lasts a few seconds: 40 units/s, burst 40, for every device account.
  const hub = await startHub({ mqtt: { accountPublishRate: 40, accountPublishBurst: 40 } });
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(watcher));
  await subscribe(watcher, 'flood/#', 1);
  const received = new Set<string>();
  watcher.on('message', (_topic, payload) => received.add(payload.toString()));

  const flooder = await deviceAccount(hub, 'flooder');
  const connections: MqttClient[] = await Promise.all(Array.from({ length: 10 }, (_, n) => connect(hub.mqttUrl, { ...flooder, clientId: `flooder-${n}` })));
  t.after(() => Promise.all(connections.map((c) => end(c))));
  const perConnection = 20;
  let acknowledged = 0;
  const flood = Promise.all(connections.map((c, n) => Promise.all(Array.from({ length: perConnection }, (_, i) =>
    publish(c, `flood/c${n}/temperature`, `${n}-${i}`).then(() => void acknowledged++)))));

  // The probe: another device account, one QoS 1 publish after the other while the flood goes on.
  const probe = await connect(hub.mqttUrl, await deviceAccount(hub, 'probe'));
  t.after(() => end(probe));
  const probeAcks: number[] = [];
  for (let i = 0; i < 5; i++) {
    await publish(probe, 'probe/temperature', String(i));
    probeAcks.push(acknowledged);
  }
  const total = connections.length * perConnection;
  assert.ok(probeAcks[4]! < total, `every probe PUBACK arrived while the flood was going on (flood acknowledged at each: ${probeAcks.join(', ')} of ${total})`);

  // The flooder's sockets were paused (counted per account), not dropped: every message arrives, in the end.
  const metrics = await readMetrics(hub);
  const pauses = Number(/^rumah_mqtt_account_publishes_held_total\{account="flooder"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  assert.ok(pauses > 0, 'the flooder\'s pauses are counted in /metrics');
  assert.doesNotMatch(metrics, /account="probe"/, 'the probe never waited for its budget');
  await flood;
  assert.equal(acknowledged, total);
  await waitFor(() => received.size === total, 20_000, 'every acknowledged message delivered');
  assert.ok(connections.every((c) => c.connected), 'no flooding connection was dropped');
});

const held = (metrics: string, account: string): number =>
  Number(new RegExp(`^rumah_mqtt_account_publishes_held_total\\{account="${account}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);

test('state changes are charged to the account that made them: 50 messages of 50 new values wait for the budget, 50 of one value do not', async (t) => {
  // 1,000 units/s, burst 1,000: 50 × 50 changes = 2,500 units; 50 × 1 = 50.
  const hub = await startHub({ mqtt: { accountPublishRate: 1000, accountPublishBurst: 1000 } });
  t.after(() => hub.stop());
  const wide = await connect(hub.mqttUrl, await deviceAccount(hub, 'wide'));
  const narrow = await connect(hub.mqttUrl, await deviceAccount(hub, 'narrow'));
  t.after(() => Promise.all([end(wide), end(narrow)]));
  const json = (n: number, properties: number): string => JSON.stringify(Object.fromEntries(Array.from({ length: properties }, (_, p) => [`p${p}`, n + p])));
  // Changes are charged once a message is parsed, after it was let in: the wave that made them is let in, the next
  // one pays for them.
  for (const wave of [0, 1]) {
    await Promise.all([
      Promise.all(Array.from({ length: 25 }, (_, i) => publish(wide, 'ourhome/groundfloor/lab/wide', json(wave * 25 + i, 50)))),
      Promise.all(Array.from({ length: 25 }, (_, i) => publish(narrow, 'ourhome/groundfloor/lab/narrow', json(wave * 25 + i, 1)))),
    ]);
  }
  const metrics = await readMetrics(hub);
  assert.ok(held(metrics, 'wide') > 0, 'the account whose messages made 2,500 changes waited');
  assert.equal(held(metrics, 'narrow'), 0, 'the account whose messages made 50 did not');
  assert.equal(hub.hub.states.value('ourhome-groundfloor-lab-wide', 'p49'), 49 + 49, 'every message was applied');
});

test('device accounts at one address share its budget (mqtt.addressPublishRate); nothing is lost', async (t) => {
  const hub = await startHub({ mqtt: { addressPublishRate: 100, addressPublishBurst: 100 } });
  t.after(() => hub.stop());
  const a = await connect(hub.mqttUrl, await deviceAccount(hub, 'same-a'));
  const b = await connect(hub.mqttUrl, await deviceAccount(hub, 'same-b'));
  t.after(() => Promise.all([end(a), end(b)]));
  await Promise.all([
    Promise.all(Array.from({ length: 150 }, (_, n) => publish(a, 'ourhome/groundfloor/lab/a', JSON.stringify({ n })))),
    Promise.all(Array.from({ length: 50 }, (_, n) => publish(b, 'ourhome/groundfloor/lab/b', JSON.stringify({ n })))),
  ]);
  const metrics = await readMetrics(hub);
  // 200 units from 127.0.0.1 against a burst of 100: both accounts waited, though each is far under its own budget.
  assert.ok(held(metrics, 'same-a') > 0 && held(metrics, 'same-b') > 0, `both waited: ${held(metrics, 'same-a')}, ${held(metrics, 'same-b')}`);
  assert.equal(hub.hub.states.value('ourhome-groundfloor-lab-a', 'n'), 149);
  assert.equal(hub.hub.states.value('ourhome-groundfloor-lab-b', 'n'), 49);
});

test('a burst that one read brings in is spread over turns: 300 publishes in one write wait for their turn, all arrive in order', async (t) => {
  // Default budgets: the account's burst (2,000 units) holds all 300, its share of one turn (100) does not.
  const hub = await startHub();
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(watcher));
  await subscribe(watcher, 'ourhome/groundfloor/hall/#', 0);
  const got: string[] = [];
  watcher.on('message', (_topic, payload) => got.push(payload.toString()));

  const creds = await deviceAccount(hub, 'burst');
  const socket = net.connect(Number(new URL(hub.mqttUrl).port), '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'burst-1', keepalive: 60, username: creds.username, password: Buffer.from(creds.password) } as never));
  await new Promise((resolve) => socket.once('data', resolve));
  const n = 300;
  socket.write(Buffer.concat(Array.from({ length: n }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic: 'ourhome/groundfloor/hall/sensor', payload: Buffer.from(`{"n":${i}}`), qos: 0, retain: false, dup: false } as never))));
  await waitFor(() => got.length === n, 20_000, 'every publish delivered');
  assert.deepEqual(got, Array.from({ length: n }, (_, i) => `{"n":${i}}`), 'in the order they were sent');
  assert.ok(held(await readMetrics(hub), 'burst') > 0, 'publishes past the turn\'s share waited for the next turn');
});
