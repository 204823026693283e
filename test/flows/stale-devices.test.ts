import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { adminPassword, connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Honest states (issue 18 item 3): a device that stops talking becomes `stale` on the hub, over the live socket,
// in the REST answers, in /metrics and to rules; a device that speaks for its own availability keeps that as the
// truth. The hub is configured with short windows (1 s) so a test does not wait for the defaults; nothing here
// measures time, it waits (bounded) for what the hub says.

const sensor = 'ourhome/groundfloor/hall/temperature';
const sensorId = 'ourhome-groundfloor-hall-temperature';
const willing = 'ourhome/groundfloor/hall/light';
const willingId = 'ourhome-groundfloor-hall-light';

const staleRule = `id: tell-stale
name: Tell when the hall sensor goes stale
triggers:
  - trigger: availability
    device: ${sensorId}
    to: stale
actions:
  - action: publish
    topic: alerts/stale
    payload: hall temperature is stale
`;

test('a device that published once and left goes stale (live, REST, /metrics, rules); one with a last will stays online; a report ends it', async (t) => {
  const dataDir = tempDir();
  fs.mkdirSync(path.join(dataDir, 'rules'));
  fs.writeFileSync(path.join(dataDir, 'rules', 'tell-stale.yaml'), staleRule);
  const hub = await startHub({ devices: { staleFirstSeconds: 1, staleMinSeconds: 1 } as never }, { dataDir });
  t.after(async () => {
    await hub.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const observer = await connect(hub.mqttUrl, { username: 'observer', password: await hub.hub.store.accounts.create('observer', 'admin') });
  t.after(() => end(observer));
  await subscribe(observer, 'alerts/#');
  const alert = nextMessage(observer, (topic) => topic === 'alerts/stale', 15_000);

  // The light speaks for itself: online on its status topic, with a last will saying offline.
  const account = await deviceAccount(hub);
  const light = await connect(hub.mqttUrl, { ...account, clientId: 'hall-light', will: { topic: `${willing}/status`, payload: Buffer.from('offline'), qos: 1, retain: true } });
  t.after(() => end(light));
  await publish(light, `${willing}/status`, 'online', { qos: 1, retain: true });
  await publish(light, willing, 'on', { qos: 1 });
  // The sensor publishes once, from a client that then leaves cleanly (no keepalive loss, no will).
  const once = await connect(hub.mqttUrl, { ...account, clientId: 'hall-sensor' });
  await publish(once, sensor, '21.5', { qos: 1 });
  await end(once);

  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const live = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => live.socket.close());
  assert.equal(live.snapshot.devices.find((d) => d.id === sensorId)?.availability, 'online', 'it reported: online at first');

  await waitFor(() => live.batches.flatMap((b) => b.devices).find((d) => d.id === sensorId && d.availability === 'stale'), 15_000, 'stale over the socket');
  const api = await loginAsAdmin(hub.httpUrl);
  const { body } = await api.get(`/api/devices/${sensorId}`);
  assert.equal(body.device.availability, 'stale');
  assert.equal(typeof body.device.lastSeen, 'number', 'last seen stays, for "last seen …"');
  assert.deepEqual((await api.get(`/api/devices/${sensorId}/staleness`)).body, { seconds: 1, source: 'first' });
  assert.match(await readMetrics(hub), /^rumah_devices_stale 1$/m);
  assert.equal((await alert).payload, 'hall temperature is stale', 'an availability trigger sees stale');

  // The light was silent longer than the sensor, but its own word (online, with a will) is the truth.
  assert.equal((await api.get(`/api/devices/${willingId}`)).body.device.availability, 'online');
  assert.deepEqual((await api.get(`/api/devices/${willingId}/staleness`)).body, { seconds: null, source: 'availability' });
  // Its will still makes it offline, and offline is not turned into stale.
  light.stream.destroy();
  await waitFor(async () => (await api.get(`/api/devices/${willingId}`)).body.device.availability === 'offline', 15_000, 'light offline by its will');

  // The sensor speaks again: online, over the socket too.
  const back = await connect(hub.mqttUrl, { ...account, clientId: 'hall-sensor' });
  t.after(() => end(back));
  const seen = live.batches.length;
  await publish(back, sensor, '21.7', { qos: 1 });
  await waitFor(() => live.batches.slice(seen).flatMap((b) => b.devices).find((d) => d.id === sensorId && d.availability === 'online'), 15_000, 'online again');
  assert.equal((await api.get(`/api/devices/${willingId}`)).body.device.availability, 'offline');
});

test('an admin sets a device\'s stale window on the hub; a bad one is refused; the defaults leave a quiet device online', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, sensor, '21.5', { qos: 1 });
  await publish(device, 'ourhome/groundfloor/hall/humidity', '40', { qos: 1 });
  await waitFor(() => hub.hub.registry.size === 2);

  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const patch = (id: string, body: unknown) => fetch(`${hub.httpUrl}/api/devices/${id}`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const refused = await patch(sensorId, { staleAfter: 0.2 });
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /staleAfter.*0 \(never stale\) or at least 1 second/);
  assert.equal((await patch(sensorId, { staleAfter: 1 })).status, 200);

  const api = await loginAsAdmin(hub.httpUrl);
  assert.deepEqual((await api.get(`/api/devices/${sensorId}/staleness`)).body, { seconds: 1, source: 'setting' });
  await waitFor(async () => (await api.get(`/api/devices/${sensorId}`)).body.device.availability === 'stale', 15_000, 'stale by its setting');
  assert.equal((await api.get(`/api/devices/${sensorId}`)).body.device.staleAfter, 1, 'kept with the device');
  // The humidity sensor was as silent, but by default a device seen once has an hour.
  assert.equal((await api.get('/api/devices/ourhome-groundfloor-hall-humidity')).body.device.availability, 'online');
  assert.deepEqual((await api.get('/api/devices/ourhome-groundfloor-hall-humidity/staleness')).body, { seconds: 3600, source: 'first' });

  // Back to automatic: the setting is gone from the device.
  assert.equal((await patch(sensorId, { staleAfter: null })).status, 200);
  assert.equal((await api.get(`/api/devices/${sensorId}`)).body.device.staleAfter, undefined);
  assert.equal((await api.get(`/api/devices/${sensorId}/staleness`)).body.source, 'first');
  assert.equal((await api.get('/api/devices/nope/staleness')).status, 404);
});

test('the setting is kept across a restart', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  let hub = await startHub({}, { dataDir });
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  await publish(device, sensor, '21.5', { qos: 1 });
  await waitFor(() => hub.hub.registry.size === 1);
  await end(device);
  const cookie = await sessionCookie(hub.httpUrl, 'admin', adminPassword);
  const res = await fetch(`${hub.httpUrl}/api/devices/${sensorId}`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ staleAfter: 600 }) });
  assert.equal(res.status, 200);
  await hub.stop();
  hub = await startHub({}, { dataDir });
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  assert.deepEqual((await api.get(`/api/devices/${sensorId}/staleness`)).body, { seconds: 600, source: 'setting' });
});

test('Home Assistant expire_after: a discovered sensor that falls silent is stale after its expire_after, and back with its next value', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'homeassistant/sensor/garden_temp/config', JSON.stringify({
    name: 'Temperature', uniq_id: 'garden_temp', stat_t: 'garden/sensor/temperature', unit_of_meas: '°C', exp_aft: 1, dev: { ids: ['garden-sensor'], name: 'Garden sensor' },
  }), { qos: 1, retain: true });
  await publish(device, 'garden/sensor/temperature', '12.5', { qos: 1 });
  // Recorded as they happen: with a 1 s window the sensor may be stale again before a poll would look.
  const changes: string[] = [];
  hub.hub.bus.on('availabilityChanged', 'test', (e) => e.deviceId === 'garden-sensor' && changes.push(e.availability));
  const api = await loginAsAdmin(hub.httpUrl);
  assert.deepEqual((await api.get('/api/devices/garden-sensor/staleness')).body, { seconds: 1, source: 'expire_after' });
  await waitFor(async () => (await api.get('/api/devices/garden-sensor')).body.device.availability === 'stale', 15_000, 'stale after expire_after');
  await publish(device, 'garden/sensor/temperature', '12.75', { qos: 1 });
  await waitFor(() => changes.lastIndexOf('online') > changes.indexOf('stale'), 15_000, 'online with its next value');
});

test('a device on its own open connection is quiet, not stale, until that connection closes; devices sharing a connection go stale', async (t) => {
  const hub = await startHub({ devices: { staleFirstSeconds: 1, staleMinSeconds: 1 } as never });
  t.after(() => hub.stop());
  const changes: string[] = [];
  hub.hub.bus.on('availabilityChanged', 'test', (e) => changes.push(`${e.deviceId} ${e.availability}`));
  const account = await deviceAccount(hub);
  // The porch light alone on its connection (no will, no status topic), first.
  const porch = await connect(hub.mqttUrl, { ...account, clientId: 'porch-light' });
  await publish(porch, 'ourhome/groundfloor/porch/light', 'on', { qos: 1 });
  // Then a gateway reporting two sensors on one connection.
  const gateway = await connect(hub.mqttUrl, { ...account, clientId: 'gateway' });
  t.after(() => end(gateway));
  await publish(gateway, 'ourhome/garden/shed/temperature', '8', { qos: 1 });
  await publish(gateway, 'ourhome/garden/shed/humidity', '80', { qos: 1 });

  await waitFor(() => changes.includes('ourhome-garden-shed-temperature stale') && changes.includes('ourhome-garden-shed-humidity stale'), 15_000, 'the gateway\'s sensors stale');
  assert.ok(!changes.includes('ourhome-groundfloor-porch-light stale'), 'the porch light was silent longer, on its own open connection');
  const api = await loginAsAdmin(hub.httpUrl);
  assert.deepEqual((await api.get('/api/devices/ourhome-groundfloor-porch-light/staleness')).body, { seconds: 1, source: 'first', ownConnection: true });

  await end(porch); // a clean disconnect: no keepalive loss, no will; only its silence tells
  await waitFor(() => changes.includes('ourhome-groundfloor-porch-light stale'), 15_000, 'the porch light stale once its connection closed');
});
