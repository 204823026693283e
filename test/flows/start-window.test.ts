import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { adminPassword, end, nextMessage, publish, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { runCli, spawnMain } from '../helpers/process.js';
import { freePort } from '../helpers/programs.js';
import { sessionCookie } from '../e2e/lib/socket-client.js';
import { Hub } from '../../server/hub.js';
import { defaults, type Config } from '../../server/config/schema.js';
import { ErrorCodes, isRumahError } from '../../server/core/errors.js';
import { DB_FILE_NAME, openStore } from '../../server/store/index.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// The start window (server/hub.ts, "Start order"): the MQTT listener opens before the rules, the logbook, the broker
// page and the rest are loaded, and before a first start's admin is hashed. Seen from outside, without timing: clients
// that connect the moment the port opens, in a hub process of its own (its late modules still to load), lose nothing;
// and rumah.db's integrity check, which now runs beside the start's first reads, still keeps a damaged file out.

const echoRule = [
  'id: echo',
  'triggers: [{trigger: mqtt, topic: ourhome/test/hall/button}]',
  'actions: [{action: publish, topic: ourhome/stats/echo, payload: "seen", retain: true}]',
  '',
].join('\n');

/** Connects as soon as the port accepts (retrying while it refuses): the first client of the start. */
async function connectWhenOpen(port: number, opts: IClientOptions): Promise<MqttClient> {
  for (let attempt = 0; attempt < 5000; attempt++) {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { ...opts, reconnectPeriod: 0, connectTimeout: 10_000 });
    const outcome = await new Promise<Error | undefined>((resolve) => {
      client.once('connect', () => resolve(undefined));
      client.once('error', resolve);
      client.once('close', () => resolve(new Error('closed before CONNACK')));
    });
    if (!outcome) return client;
    client.end(true);
    if (!/ECONNREFUSED/.test(outcome.message)) throw outcome;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`port ${port} never opened`);
}

test('clients that connect the moment MQTT opens: the rules see the publish, the broker page the client, the first admin logs in', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const added = await runCli(['devices', 'add', 'early', '--json', '--data', dataDir]);
  assert.equal(added.code, 0, added.stderr);
  const device = JSON.parse(added.stdout) as { username: string; password: string };
  fs.mkdirSync(path.join(dataDir, 'rules'));
  fs.writeFileSync(path.join(dataDir, 'rules', 'echo.yaml'), echoRule);
  const mqttPort = await freePort();

  // A first start: no admin yet; RUMAH_ADMIN_PASSWORD makes it.
  const { stderr } = spawnMain(t, ['--data', dataDir, '--mqtt-port', String(mqttPort), '--http-port', '0'], { RUMAH_ADMIN_PASSWORD: adminPassword });

  // Both at once, from before the port opens: the admin's password may still be being hashed when it does.
  const [early, admin] = await Promise.all([
    connectWhenOpen(mqttPort, { clientId: 'early', username: device.username, password: device.password }),
    connectWhenOpen(mqttPort, { clientId: 'first-admin', username: 'admin', password: adminPassword }),
  ]);
  t.after(() => end(early));
  t.after(() => end(admin));
  // QoS 1: acknowledged once the hub took it (it waits while the late parts start, and is not lost).
  await publish(early, 'ourhome/test/hall/button', 'pressed', { qos: 1 });

  const runtimeFile = path.join(dataDir, 'runtime.json');
  const runtime = await waitFor(() => (fs.existsSync(runtimeFile) ? (JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as { httpPort: number }) : undefined), 15_000, `runtime.json (${stderr()})`);

  // The rule was loaded after the publish arrived, and ran on it.
  const echo = nextMessage(admin, (topic) => topic === 'ourhome/stats/echo', 10_000);
  await subscribe(admin, 'ourhome/stats/echo');
  assert.equal((await echo).payload, 'seen');

  // The broker page, built after the device connected, lists it.
  const httpUrl = `http://127.0.0.1:${runtime.httpPort}`;
  const cookie = await sessionCookie(httpUrl, 'admin', adminPassword);
  const view = (await (await fetch(`${httpUrl}/api/broker`, { headers: { cookie } })).json()) as { clients: Array<{ clientId: string; username?: string }> };
  assert.deepEqual(view.clients.filter((c) => c.clientId === 'early').map((c) => c.username), [device.username]);
});

test('a damaged rumah.db: its integrity check, now run beside the first reads, still stops the start before MQTT opens', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const store = await openStore(dataDir, pino({ level: 'silent' }));
  // Pages that no read at start touches (the start's reads would not find this damage; only the check does).
  await store.db.exec('PRAGMA journal_mode = DELETE; CREATE TABLE spare (v TEXT); CREATE INDEX spare_v ON spare (v);');
  await store.db.transaction(async (tx) => {
    for (let i = 0; i < 2000; i++) await tx.run('INSERT INTO spare VALUES (?)', [`value ${i} `.repeat(10)]);
  });
  await store.close();
  const file = path.join(dataDir, DB_FILE_NAME);
  const pages = Math.floor(fs.statSync(file).size / 4096);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096 * (pages - 3));
  fs.closeSync(fd);

  const mqttPort = await freePort();
  const config: Config = { ...defaults, dataDir, bind: '127.0.0.1', log: { level: 'silent' }, mqtt: { ...defaults.mqtt, port: mqttPort }, http: { ...defaults.http, port: 0 } };
  const hub = new Hub({ config, log: pino({ level: 'silent' }), adminPassword });
  t.after(() => hub.stop());
  const err = await hub.start().then(() => undefined, (e: unknown) => e);
  assert.ok(isRumahError(err), `the start fails: ${String(err)}`);
  assert.equal(err.code, ErrorCodes.DB_OPEN);
  assert.match(err.message, /is damaged/);
  assert.equal(fs.existsSync(path.join(dataDir, 'runtime.json')), false);
  // MQTT never opened.
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect(mqttPort, '127.0.0.1', () => resolve(false)).once('error', () => resolve(true));
    socket.unref();
  });
  assert.equal(refused, true);
});
