import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { connect, deviceAccount, end, publish, startHub, tempDir } from '../helpers/hub.js';
import { runMain } from '../helpers/process.js';

/** Resolves 'acked' on PUBACK, 'closed' when the hub drops the connection first. */
function tryPublish(client: MqttClient, topic: string, payload: Buffer): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    const onClose = () => resolve('closed');
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1, retain: true }, (err) => {
      client.off('close', onClose);
      resolve(err ? 'closed' : 'acked');
    });
  });
}

test('disk full: a retained QoS 1 publish that cannot be stored is not acknowledged; healthz says so; it recovers', async (t) => {
  const hub = await startHub({}, { brokerStoreMaxPages: 40 });
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const stored: string[] = [];
  let client = await connect(hub.mqttUrl, creds);
  let outcome: 'acked' | 'closed' = 'acked';
  for (let i = 0; i < 200 && outcome === 'acked'; i++) {
    const topic = `ourhome/store/r${i}/blob`;
    outcome = await tryPublish(client, topic, Buffer.alloc(3000, 0x41));
    if (outcome === 'acked') stored.push(topic);
  }
  await end(client);
  assert.equal(outcome, 'closed', 'the publish that did not fit was never acknowledged');
  assert.ok(stored.length > 0);
  const sick = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(sick.status, 503);
  const body = (await sick.json()) as { checks: { brokerStore: { ok: boolean; detail: string } } };
  assert.equal(body.checks.brokerStore.ok, false);
  assert.match(body.checks.brokerStore.detail, /broker\.db writes are failing/);

  // Space comes back: deleting retained messages frees pages; the next store succeeds and health returns.
  client = await connect(hub.mqttUrl, creds);
  t.after(() => end(client));
  for (const topic of stored.slice(0, 10)) await publish(client, topic, '', { qos: 1, retain: true });
  assert.equal(await tryPublish(client, 'ourhome/store/again/blob', Buffer.alloc(3000, 0x42)), 'acked');
  assert.equal((await fetch(`${hub.httpUrl}/healthz`)).status, 200);
});

test('a corrupt broker database is a clear error naming the file, with exit code 3', async () => {
  const dataDir = tempDir();
  fs.writeFileSync(path.join(dataDir, 'broker.db'), Buffer.alloc(8192, 0x5a));
  const res = await runMain(['--data', dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', '127.0.0.1'], { RUMAH_ADMIN_PASSWORD: 'test-admin-password' });
  fs.rmSync(dataDir, { recursive: true, force: true });
  assert.equal(res.code, 3);
  assert.match(res.stderr, /RUMAH_ERR_DB_OPEN/);
  assert.match(res.stderr, /broker\.db/);
});

test('a client that sends fresh QoS 2 ids and never PUBREL is bounded by maxInflightInbound', async (t) => {
  const hub = await startHub({ mqtt: { maxInflightInbound: 20 } as never });
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const socket = net.connect(Number(new URL(hub.mqttUrl).port), '127.0.0.1');
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  let pubrecs = 0;
  const parser = mqttPacket.parser();
  parser.on('packet', (p: { cmd: string }) => { if (p.cmd === 'pubrec') pubrecs++; });
  socket.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'qos2-hog', keepalive: 60, username: creds.username, password: Buffer.from(creds.password) } as never));
  for (let id = 1; id <= 100; id++) {
    socket.write(mqttPacket.generate({ cmd: 'publish', topic: `ourhome/q/r/t${id}`, payload: Buffer.from('x'), qos: 2, messageId: id, retain: false, dup: false } as never));
  }
  await closed;
  assert.ok(pubrecs <= 20, `at most 20 QoS 2 messages held open, got ${pubrecs} PUBRECs`);
  const other = await connect(hub.mqttUrl, creds);
  await publish(other, 'ourhome/q/r/ok', '1', { qos: 2 });
  await end(other);
});
