import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { Hub } from '../../server/hub.js';
import { defaults } from '../../server/config/schema.js';
import { pino } from 'pino';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { client, loginAsAdmin } from '../helpers/http.js';

test('MQTT over WebSocket at /mqtt on the web port', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const ws = await connect(`${hub.httpUrl.replace('http', 'ws')}/mqtt`, creds);
  t.after(() => end(ws));
  await subscribe(ws, 'ourhome/groundfloor/hall/light/set');
  const tcp = await connect(hub.mqttUrl, creds);
  t.after(() => end(tcp));
  await publish(ws, 'ourhome/groundfloor/hall/light', 'off');
  await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-hall-light'));
  const api = await loginAsAdmin(hub.httpUrl);
  const got = nextMessage(ws, (topic) => topic.endsWith('/set'));
  await api.post('/api/devices/ourhome-groundfloor-hall-light/command', { property: 'light', value: 'on' });
  assert.equal((await got).payload, 'on');
});

test('a device whose client stops answering keepalives goes offline', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const port = Number(new URL(hub.mqttUrl).port);
  // A raw client with a 1 s keepalive that then goes silent, without a will: aedes ends it after 1.5 keepalives.
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'silent-1', keepalive: 1, username: creds.username, password: Buffer.from(creds.password) } as never));
  socket.write(mqttPacket.generate({ cmd: 'publish', topic: 'ourhome/groundfloor/hall/motion', payload: Buffer.from('false'), qos: 0, retain: false, dup: false } as never));
  const device = await waitFor(() => hub.hub.registry.get('ourhome-groundfloor-hall-motion'));
  assert.equal(device.availability, 'online');
  await waitFor(() => device.availability === 'offline', 5000, 'offline after keepalive loss');
});

test('first start without RUMAH_ADMIN_PASSWORD: a one-time setup code creates the admin', async (t) => {
  const dataDir = tempDir();
  const hub = new Hub({ config: { ...defaults, dataDir, bind: '127.0.0.1', mqtt: { ...defaults.mqtt, port: 0 }, http: { port: 0 }, log: { level: 'silent' } }, log: pino({ level: 'silent' }) });
  const runtime = await hub.start();
  t.after(() => hub.stop());
  assert.ok(hub.setupCode && hub.setupCode.length >= 10);
  const api = client(`http://127.0.0.1:${runtime.httpPort}`);
  const wrong = await api.post('/api/auth/setup', { code: 'nope', username: 'me', password: 'long enough pw' });
  assert.equal(wrong.status, 401);
  const short = await api.post('/api/auth/setup', { code: hub.setupCode, username: 'me', password: 'short' });
  assert.equal(short.status, 400);
  const ok = await api.post('/api/auth/setup', { code: hub.setupCode, username: 'me', password: 'long enough pw' });
  assert.equal(ok.status, 201);
  assert.deepEqual(ok.body.user, { username: 'me', role: 'admin' });
  const again = await api.post('/api/auth/setup', { code: hub.setupCode, username: 'other', password: 'long enough pw' });
  assert.equal(again.status, 409, 'the code works once');
  const login = await api.post('/api/auth/login', { username: 'me', password: 'long enough pw' });
  assert.equal(login.status, 200);
});

test('/healthz and /metrics report the hub', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  for (const v of ['1', '2', '3']) await publish(device, 'ourhome/firstfloor/kitchen/power', v);
  await waitFor(() => hub.hub.store.writer.written >= 3);
  const health = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  assert.match(metrics, /^rumah_mqtt_clients 1$/m);
  assert.match(metrics, /^rumah_mqtt_messages_in_total 3$/m);
  assert.match(metrics, /^rumah_state_changes_total 3$/m);
  assert.match(metrics, /^rumah_history_written_total 3$/m);
  assert.match(metrics, /^rumah_history_queue_depth 0$/m);
  assert.match(metrics, /^rumah_devices 1$/m);
  assert.match(metrics, /^rumah_devices_online 1$/m);
  assert.match(metrics, /^rumah_process_heap_used_bytes [1-9]\d*$/m);
  assert.match(metrics, /^# TYPE rumah_history_write_seconds gauge$/m);
});

test('a client\'s mixed QoS 1 and QoS 0 publishes all reach a live subscriber, in the order sent', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = { username: 'admin', password: 'test-admin-password' };
  const sub = await connect(hub.mqttUrl, admin);
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#');
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.toString()));
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  const sent = Array.from({ length: 60 }, (_, i) => String(i));
  // Without waiting between them: a QoS 1 message is stored before it is acknowledged, and must not be overtaken.
  for (const v of sent) pub.publish('ourhome/groundfloor/hall/counter', v, { qos: Number(v) % 3 === 0 ? 1 : 0 });
  await waitFor(() => got.length === sent.length, 5000, `all ${sent.length} messages (got ${got.length})`);
  assert.deepEqual(got, sent);
});

/**
 * aedes numbers every packet when it is created and a subscriber drops any packet numbered below one it already
 * got (a filter meant for duplicates between clustered brokers). A retained QoS 1 message is numbered, then waits
 * for its commit; another client's QoS 0 message numbered after it is routed at once — and the retained one was
 * then silently dropped for every subscriber that had seen the newer one.
 */
test('a retained QoS 1 message is not lost to a subscriber while other clients publish', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = { username: 'admin', password: 'test-admin-password' };
  const sub = await connect(hub.mqttUrl, admin);
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#');
  const got = new Set<string>();
  sub.on('message', (topic, payload) => topic.endsWith('/light') && got.add(payload.toString()));
  const retained = await connect(hub.mqttUrl, admin);
  const chatty = await connect(hub.mqttUrl, admin);
  t.after(() => Promise.all([end(retained), end(chatty)]));
  let streaming = true;
  const stream = (async () => {
    for (let i = 0; streaming; i++) {
      chatty.publish('ourhome/groundfloor/hall/temperature', String(i), { qos: 0 });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  const sent = Array.from({ length: 30 }, (_, i) => `state-${i}`);
  for (const v of sent) await publish(retained, 'ourhome/groundfloor/hall/light', v, { qos: 1, retain: true });
  streaming = false;
  await stream;
  await waitFor(() => got.size === sent.length, 5000, `all ${sent.length} retained messages (got ${got.size})`);
});

test('overlapping subscriptions still deliver one copy of each message', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = { username: 'admin', password: 'test-admin-password' };
  const sub = await connect(hub.mqttUrl, admin);
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#', 0);
  await subscribe(sub, 'ourhome/+/hall/light', 1);
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.toString()));
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  for (const v of ['a', 'b', 'c']) await publish(pub, 'ourhome/groundfloor/hall/light', v, { qos: 1 });
  await publish(pub, 'ourhome/groundfloor/hall/end', 'end', { qos: 1 });
  await waitFor(() => got.includes('end'));
  assert.deepEqual(got, ['a', 'b', 'c', 'end']);
});

/**
 * A client may publish as soon as it has its CONNACK, while aedes is still finishing the CONNECT (sending the
 * messages queued for its session). The PUBACK of a QoS 1 message sent then was skipped: the client waited for ever.
 */
test('a QoS 1 publish sent right after the CONNACK is acknowledged, while the session queue is still being sent', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = { username: 'admin', password: 'test-admin-password' };
  const sleepy = await connect(hub.mqttUrl, { ...admin, clientId: 'eager', clean: false });
  await subscribe(sleepy, 'ourhome/queued/#', 1);
  await end(sleepy);
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  await Promise.all(Array.from({ length: 300 }, (_, i) => publish(pub, 'ourhome/queued/room/thing', String(i), { qos: 1 })));
  const back = await connect(hub.mqttUrl, { ...admin, clientId: 'eager', clean: false });
  t.after(() => end(back));
  await Promise.race([
    publish(back, 'ourhome/groundfloor/hall/eager', 'now', { qos: 1 }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no PUBACK')), 10000)),
  ]);
});

test('a device\'s mixed QoS 1 and QoS 0 reports reach the registry in the order sent, while others subscribe', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const admin = { username: 'admin', password: 'test-admin-password' };
  const sub = await connect(hub.mqttUrl, admin);
  t.after(() => end(sub));
  await subscribe(sub, 'ourhome/#', 1);
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const seen: number[] = [];
  hub.hub.bus.on('stateChanged', 'test', (c) => void (c.deviceId === 'ourhome-groundfloor-hall-level' && seen.push(c.value as number)));
  const sent = Array.from({ length: 80 }, (_, i) => i);
  for (const v of sent) device.publish('ourhome/groundfloor/hall/level', String(v), { qos: v % 4 === 0 ? 0 : 1 });
  await waitFor(() => seen.length === sent.length, 5000, `all ${sent.length} changes (got ${seen.length})`);
  assert.deepEqual(seen, sent);
});
