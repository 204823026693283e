import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { Hub } from '../../server/hub.js';
import { defaults } from '../../server/config/schema.js';
import { pino } from 'pino';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { client, loginAsAdmin, readMetrics } from '../helpers/http.js';

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
  const hub = new Hub({ config: { ...defaults, dataDir, bind: '127.0.0.1', mqtt: { ...defaults.mqtt, port: 0 }, http: { ...defaults.http, port: 0 }, log: { level: 'silent' } }, log: pino({ level: 'silent' }) });
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

test('/healthz (open) and /metrics (API token or login) report the hub', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  for (const v of ['1', '2', '3']) await publish(device, 'ourhome/firstfloor/kitchen/power', v);
  await waitFor(() => hub.hub.store.writer.written >= 3);
  const health = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
  const anonymous = await fetch(`${hub.httpUrl}/metrics`);
  assert.equal(anonymous.status, 401, 'no metrics without a token or a session');
  assert.doesNotMatch(await anonymous.text(), /rumah_/);
  const metrics = await readMetrics(hub);
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

test('the dashboard page is served for device and rule addresses with a dot in the id; other dotted paths are files', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const get = (path: string) => fetch(`${hub.httpUrl}${path}`, { headers: { accept: 'text/html' } });
  for (const path of ['/devices/ourhome-_-_-_.caaa3edf', '/devices/sensor.kitchen_temperature', '/rules/a.b', '/devices/ourhome-groundfloor-hall-light', '/']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(await res.text(), /<!doctype html>/i, path);
  }
  for (const path of ['/favicon.ico', '/main.js', '/devices/a/b.js']) assert.equal((await get(path)).status, 404, path);
});
