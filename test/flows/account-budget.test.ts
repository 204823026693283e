import { test } from 'node:test';
import assert from 'node:assert/strict';
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
