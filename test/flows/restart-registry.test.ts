import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

test('a restart does not bring back, from retained messages, devices that were forgotten or refused by devices.maxPerAccount', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const config = { devices: { maxPerAccount: 3 } as never };
  const topics = [0, 1, 2, 3, 4].map((i) => `ourhome/groundfloor/room${i}/temperature`);
  const ids = (hub: { hub: { registry: { list(): Array<{ id: string }> } } }) => hub.hub.registry.list().map((d) => d.id).sort();

  const first = await startHub(config, { dataDir });
  const creds = await deviceAccount(first);
  const device = await connect(first.mqttUrl, creds);
  for (const topic of topics) await publish(device, topic, '20.5', { qos: 1, retain: true });
  await end(device);
  assert.deepEqual(ids(first), ['ourhome-groundfloor-room0-temperature', 'ourhome-groundfloor-room1-temperature', 'ourhome-groundfloor-room2-temperature']);
  const api = await loginAsAdmin(first.httpUrl);
  assert.equal((await api.del('/api/devices/ourhome-groundfloor-room0-temperature')).status, 200);
  await first.stop();

  const second = await startHub(config, { dataDir });
  t.after(() => second.stop());
  assert.deepEqual(ids(second), ['ourhome-groundfloor-room1-temperature', 'ourhome-groundfloor-room2-temperature']);
  // The retained messages themselves are kept: the broker still hands all five to a subscriber.
  const watcher = await connect(second.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(watcher));
  const retained = new Set<string>();
  watcher.on('message', (topic, _payload, packet) => packet.retain && retained.add(topic));
  await subscribe(watcher, 'ourhome/#');
  await waitFor(() => retained.size === 5, 5000, 'the five retained messages');

  // The forgotten device comes back when it publishes again, as the account's third device.
  const again = await connect(second.mqttUrl, creds);
  t.after(() => end(again));
  await publish(again, topics[0]!, '21', { qos: 1 });
  await publish(again, topics[3]!, '21', { qos: 1 });
  await waitFor(() => second.hub.registry.get('ourhome-groundfloor-room0-temperature'), 5000, 'room0 back');
  assert.equal(second.hub.registry.get('ourhome-groundfloor-room0-temperature')?.owner, creds.username);
  assert.equal(second.hub.registry.get('ourhome-groundfloor-room3-temperature'), undefined, 'the cap still holds');
});
