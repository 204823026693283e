// The SQLite persistence under a real aedes broker, spoken to by real MQTT.js clients over TCP,
// restarted on the same file: what a hub restart (or crash) looks like to devices.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { test } from 'node:test';
import { Aedes } from 'aedes';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { createSqlitePersistence, type SqlitePersistence, type SqlitePersistenceOptions } from '../../../server/mqtt/persistence/sqlite-persistence.js';
import { silentLog, tempDir } from './persistence-fixtures.js';

interface RunningBroker {
  persistence: SqlitePersistence;
  port: number;
  stop(): Promise<void>;
}

async function startBroker(file: string, extra: Partial<SqlitePersistenceOptions> = {}): Promise<RunningBroker> {
  const persistence = createSqlitePersistence({ file, log: silentLog, ...extra });
  const broker = await Aedes.createBroker({ persistence });
  const server: Server = createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let stopped: Promise<void> | undefined;
  return {
    persistence,
    port: (server.address() as AddressInfo).port,
    // The hub's order: stop accepting, close the broker (and its clients), then the persistence.
    stop: () =>
      (stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await closed;
        await persistence.destroy();
      })()),
  };
}

async function connect(port: number, opts: IClientOptions): Promise<{ client: MqttClient; connack: IConnackPacket; messages: Array<{ topic: string; payload: string; retain: boolean; qos: number }> }> {
  const client = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, ...opts });
  const messages: Array<{ topic: string; payload: string; retain: boolean; qos: number }> = [];
  // Registered before CONNACK: queued messages follow it at once.
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos }));
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return { client, connack, messages };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a retained message survives a broker restart on the same file', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await startBroker(dir.file);
  t.after(() => first.stop());
  const device = await connect(first.port, { clientId: 'lamp-1' });
  // QoS 1: the PUBACK comes only after storeRetained committed.
  await device.client.publishAsync('home/lamp-1/state', 'on', { qos: 1, retain: true });
  await device.client.endAsync();
  await first.stop();

  const second = await startBroker(dir.file);
  t.after(() => second.stop());
  const panel = await connect(second.port, { clientId: 'panel' });
  t.after(() => panel.client.endAsync());
  await panel.client.subscribeAsync('home/#', { qos: 1 });
  await until(() => panel.messages.length > 0, 'the retained message');
  assert.deepEqual(panel.messages, [{ topic: 'home/lamp-1/state', payload: 'on', retain: true, qos: 1 }]);
});

test('a QoS 1 message for an offline clean=false subscriber is delivered after a restart, with sessionPresent', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await startBroker(dir.file);
  t.after(() => first.stop());
  const session = { clientId: 'thermostat', clean: false } as const;
  const subscriber = await connect(first.port, session);
  assert.equal(subscriber.connack.sessionPresent, false);
  await subscriber.client.subscribeAsync('home/thermostat/set', { qos: 1 });
  await subscriber.client.endAsync();

  const controller = await connect(first.port, { clientId: 'rules' });
  await controller.client.publishAsync('home/thermostat/set', '21.5', { qos: 1 });
  await controller.client.endAsync();
  await first.stop();

  const second = await startBroker(dir.file);
  t.after(() => second.stop());
  const back = await connect(second.port, session);
  t.after(() => back.client.endAsync());
  // [MQTT-3.2.2-2]: the session (its subscription) was found, so sessionPresent is 1.
  assert.equal(back.connack.sessionPresent, true);
  await until(() => back.messages.length > 0, 'the queued message');
  assert.deepEqual(back.messages, [{ topic: 'home/thermostat/set', payload: '21.5', retain: false, qos: 1 }]);
  // Once acknowledged (PUBACK), it leaves the queue, on disk too: a third start does not redeliver it.
  const queued = async (): Promise<number> => (await second.persistence.outgoingStream({ id: 'thermostat' }).toArray()).length;
  await until(async () => (await queued()) === 0, 'the PUBACK to clear the queue');
  await back.client.endAsync();
  await second.stop();
  const third = await startBroker(dir.file);
  t.after(() => third.stop());
  const again = await connect(third.port, session);
  t.after(() => again.client.endAsync());
  assert.equal(again.connack.sessionPresent, true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(again.messages, [], 'no redelivery of an acknowledged message');
});

test('QoS 0 traffic, and QoS 1 traffic nobody persistent subscribes to, never touch SQLite', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const running = await startBroker(dir.file);
  t.after(() => running.stop());
  // A persistent subscriber online, QoS 1: a QoS 0 PUBLISH to it is not queued [MQTT-3.1.2-5].
  const listener = await connect(running.port, { clientId: 'dashboard', clean: false });
  t.after(() => listener.client.endAsync());
  await listener.client.subscribeAsync('home/+/power', { qos: 1 });
  const device = await connect(running.port, { clientId: 'plug-1' });
  t.after(() => device.client.endAsync());
  const before = running.persistence.stats.transactions;
  for (let i = 0; i < 50; i++) await device.client.publishAsync('home/plug-1/power', String(i), { qos: 0 });
  for (let i = 0; i < 50; i++) await device.client.publishAsync('home/plug-1/energy', String(i), { qos: 1 });
  await until(() => listener.messages.length === 50, 'the QoS 0 messages');
  assert.equal(running.persistence.stats.transactions, before);
});

test('disk full: a QoS 2 PUBLISH that cannot be stored gets no PUBREC, and the broker reports unhealthy', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const running = await startBroker(dir.file, { maxPageCount: 16 });
  t.after(() => running.stop());
  const device = await connect(running.port, { clientId: 'camera' });
  t.after(() => device.client.end(true));
  const acknowledged: number[] = [];
  let closed = false;
  device.client.on('close', () => (closed = true));
  // aedes stores a QoS 2 PUBLISH (incomingStorePacket, then storeRetained) before it sends PUBREC.
  for (let i = 0; i < 200 && !closed; i++) {
    const outcome = await Promise.race([
      device.client.publishAsync(`home/camera/snapshot-${i}`, Buffer.alloc(2000, 1), { qos: 2, retain: true }).then(() => 'acknowledged'),
      new Promise<string>((resolve) => device.client.once('close', () => resolve('closed'))),
    ]);
    if (outcome === 'acknowledged') acknowledged.push(i);
  }
  assert.ok(closed, 'aedes closed the connection of the publish it could not store');
  assert.ok(acknowledged.length > 0 && acknowledged.length < 200);
  // The failure is reported; health may already be back, since the closed session's cleanup (a DELETE, which
  // frees pages) can commit before this line runs.
  assert.ok(running.persistence.stats.failures > 0, 'a transaction failed');
  assert.equal(running.persistence.lastError?.code, 'RUMAH_ERR_DB_WRITE');
  // What was acknowledged is exactly what is retained.
  const stored = (await running.persistence.createRetainedStream('home/camera/+').toArray()) as Array<{ topic: string }>;
  assert.deepEqual(stored.map((p) => p.topic).sort(), acknowledged.map((i) => `home/camera/snapshot-${i}`).sort());
});
