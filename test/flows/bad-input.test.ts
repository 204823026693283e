import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';

/** Opens a raw TCP connection and resolves when the hub closes it (or after `ms`, with `closed: false`). */
function rawSend(port: number, bytes: Buffer, ms = 3000): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, received: Buffer.concat(chunks) });
    }, ms);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received: Buffer.concat(chunks) });
    });
    socket.write(bytes);
  });
}

function port(url: string): number {
  return Number(new URL(url).port);
}

test('a malformed packet drops that client only; others keep being served', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  // An app account (the admin) follows the house; devices may only follow their command topics.
  const good = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(good));
  await subscribe(good, 'ourhome/#');
  // CONNECT with protocol name "MQTX": [MQTT-3.1.2-1] the server must close the connection.
  const badConnect = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x58, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
  assert.equal((await rawSend(port(hub.mqttUrl), badConnect)).closed, true);
  // A reserved packet type (0) with garbage after it.
  assert.equal((await rawSend(port(hub.mqttUrl), Buffer.from([0x00, 0x02, 0xff, 0xff]))).closed, true);
  const next = nextMessage(good, (topic) => topic === 'ourhome/groundfloor/hall/light');
  await publish(good, 'ourhome/groundfloor/hall/light', 'on');
  assert.equal((await next).payload, 'on');
});

test('a packet over the maximum size is refused before it is buffered, and logged in metrics', async (t) => {
  const hub = await startHub({ mqtt: { maxPacketSize: 4096 } as never });
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish('ourhome/groundfloor/hall/light', Buffer.alloc(10_000, 0x61), { qos: 0 });
  await closed;
  await end(client);
  const metrics = await readMetrics(hub);
  assert.match(metrics, /rumah_mqtt_oversize_packets_total 1/);
  const api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.get('/api/devices')).body.devices.length, 0);
});

test('invalid JSON is kept as a string', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(client));
  await publish(client, 'ourhome/firstfloor/kitchen/display', '{"text": "half');
  const api = await loginAsAdmin(hub.httpUrl);
  const d = await waitFor(async () => (await api.get('/api/devices/ourhome-firstfloor-kitchen-display')).body.device);
  assert.equal(d.state.display.value, '{"text": "half');
  assert.equal(d.capabilities[0].kind, 'text');
});

test('JSON nested 5,000 deep is kept as a string; history goes on for every device', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const client = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(client));
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  await publish(client, 'ourhome/firstfloor/kitchen/display', deep);
  await publish(client, 'ourhome/firstfloor/kitchen/panel', `{"a":${deep}}`);
  await publish(client, 'ourhome/firstfloor/kitchen/temperature', '21.5');
  const api = await loginAsAdmin(hub.httpUrl);
  const d = await waitFor(async () => (await api.get('/api/devices/ourhome-firstfloor-kitchen-display')).body.device);
  // Text, as any payload that is not JSON (cut at 4,096 characters, as every text).
  const text = deep.slice(0, 4096);
  assert.equal(d.state.display.value, text);
  assert.equal(d.capabilities[0].kind, 'text');
  assert.equal((await api.get('/api/devices/ourhome-firstfloor-kitchen-panel')).body.device.state.panel.value, `{"a":${deep}}`.slice(0, 4096));
  // The history writer (which once failed its batch on every retry here) wrote all three.
  const temps = await waitFor(async () => (await api.get('/api/devices/ourhome-firstfloor-kitchen-temperature/history?property=temperature')).body.points);
  assert.deepEqual(temps.map((p: { value: number }) => p.value), [21.5]);
  const displays = (await api.get('/api/devices/ourhome-firstfloor-kitchen-display/history?property=display')).body.points;
  assert.deepEqual(displays.map((p: { value: string }) => p.value), [text]);
  assert.equal(hub.hub.store.writer.depth, 0);
});

test('a topic of 200 levels or 64 KiB disconnects its sender, not the hub', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  for (const topic of [Array.from({ length: 200 }, (_, i) => `l${i}`).join('/'), 'ourhome/' + 'x'.repeat(65_000)]) {
    const client = await connect(hub.mqttUrl, creds);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topic, 'on', { qos: 1 });
    await closed;
    await end(client);
  }
  const ok = await connect(hub.mqttUrl, creds);
  await publish(ok, 'ourhome/groundfloor/hall/light', 'on');
  await end(ok);
});

test('one credential publishing 10,000 distinct topics is capped at devices.maxPerAccount', async (t) => {
  // The publish budget per account (200/s, account-budget.ts) is not what this is about: out of reach here.
  const hub = await startHub({ devices: { maxPerAccount: 50 }, mqtt: { accountPublishRate: 1e9, accountPublishBurst: 1e9 } });
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const client = await connect(hub.mqttUrl, creds);
  t.after(() => end(client));
  for (let i = 0; i < 10_000; i++) client.publish(`ourhome/f${i % 10}/r${i}/temperature`, '20', { qos: 0 });
  await publish(client, 'ourhome/done/done/marker', '1'); // QoS 1: everything before it was handled
  await waitFor(() => hub.hub.registry.counters.capped >= 10_000 - 50, 20_000, 'capped count');
  assert.equal(hub.hub.registry.size, 50);
  // Another account is not affected.
  const other = await connect(hub.mqttUrl, await deviceAccount(hub));
  await publish(other, 'ourhome/groundfloor/hall/light', 'on');
  await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-hall-light'));
  await end(other);
});

test('anonymous and wrong-password clients are refused; the admin may connect over MQTT', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  await assert.rejects(connect(hub.mqttUrl), /Not authorized|not authorized/i);
  await assert.rejects(connect(hub.mqttUrl, { username: 'nobody', password: 'wrong' }), /Bad username or password/i);
  const admin = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  await end(admin);
});

test('REST: no session is 401, bad JSON and wrong types are 400, unknown device 404', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  assert.equal((await fetch(`${hub.httpUrl}/api/devices`)).status, 401);
  const wrongLogin = await fetch(`${hub.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"nope"}' });
  assert.equal(wrongLogin.status, 401);
  const api = await loginAsAdmin(hub.httpUrl);
  const malformed = await api.post('/api/devices/x/command', '{"property": ');
  assert.equal(malformed.status, 400);
  const wrongType = await api.post('/api/devices/x/command', { property: 42 });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.body.error.message, /property/);
  const unknown = await api.post('/api/devices/x/command', { property: 'light', value: true });
  assert.equal(unknown.status, 404);
  const huge = await api.post('/api/devices/x/command', { property: 'x'.repeat(300_000), value: 1 });
  assert.equal(huge.status, 413);
  // What the caller sent comes back in the message cut short, not whole.
  const longId = await api.get(`/api/devices/${'y'.repeat(5000)}`);
  assert.equal(longId.status, 404);
  assert.match(longId.body.error.message, /^no device "y{60}…"; GET \/api\/devices lists them$/);
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  await publish(device, 'ourhome/groundfloor/hall/light', 'on');
  await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-hall-light'));
  const nested = await api.post('/api/devices/ourhome-groundfloor-hall-light/command', `{"property":"light","value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  assert.equal(nested.status, 422);
  assert.ok(nested.body.error.message.length < 200, nested.body.error.message.slice(0, 300));
});
