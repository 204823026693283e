// Topics that are not well-formed MQTT strings [MQTT-1.5.3-1/2] close their connection and never become devices;
// names made from topics are shown without hidden or reordering characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { adminPassword, connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor, type TestHub } from '../helpers/hub.js';

const admin = { username: 'admin', password: adminPassword };

/** A raw client: writes packets as given (bytes may be changed on the way), reads what the hub answers. */
async function raw(hub: TestHub, protocolVersion: 4 | 5): Promise<{ socket: net.Socket; packets: Packet[]; closed: Promise<void>; send(p: object, patch?: (b: Buffer) => Buffer): void }> {
  const socket = net.connect(Number(new URL(hub.mqttUrl).port), '127.0.0.1');
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => undefined);
  const send = (p: object, patch: (b: Buffer) => Buffer = (b) => b): void => void socket.write(patch(mqttPacket.generate(p as Packet, { protocolVersion })));
  await once(socket, 'connect');
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId: `raw-${protocolVersion}-${Math.random().toString(36).slice(2, 7)}`, keepalive: 60, username: admin.username, password: Buffer.from(admin.password) });
  await waitFor(() => packets.find((p) => p.cmd === 'connack'), 5000, 'CONNACK');
  return { socket, packets, closed, send };
}

/** Replaces the first occurrence of `from` (a placeholder in the topic) by `to`: ill-formed UTF-8 MQTT.js would never send. */
const swap = (from: string, to: number[]) => (b: Buffer): Buffer => {
  const at = b.indexOf(Buffer.from(from));
  assert.ok(at > 0);
  const out = Buffer.from(b);
  Buffer.from(to).copy(out, at);
  return out;
};

test('a PUBLISH whose topic holds U+0000 or ill-formed UTF-8 closes that connection only; no device comes of it', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const watcher = await connect(hub.mqttUrl, admin);
  t.after(() => end(watcher));
  await subscribe(watcher, 'ourhome/#');

  const nul = await raw(hub, 4);
  nul.send({ cmd: 'publish', topic: 'ourhome/gf/hall/lamp\u0000x', payload: 'on', qos: 0 });
  await nul.closed;

  const utf8 = await raw(hub, 4);
  // 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte.
  utf8.send({ cmd: 'publish', topic: 'ourhome/gf/hall/lampXY', payload: 'on', qos: 1, messageId: 1 }, swap('XY', [0xc3, 0x28]));
  await utf8.closed;
  assert.equal(utf8.packets.some((p) => p.cmd === 'puback'), false);

  const v5 = await raw(hub, 5);
  v5.send({ cmd: 'publish', topic: 'ourhome/gf/hall/lamp\u0000y', payload: 'on', qos: 1, messageId: 1 });
  await v5.closed;
  assert.deepEqual(v5.packets.filter((p) => p.cmd === 'disconnect').map((p) => (p as { reasonCode?: number }).reasonCode), [0x81]);

  const sub = await raw(hub, 4);
  sub.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'ourhome/XY/#', qos: 0 }] }, swap('XY', [0xff, 0xfe]));
  await sub.closed;
  assert.equal(sub.packets.some((p) => p.cmd === 'suback'), false);

  // The hub goes on: a good message after all that arrives, and it is the only device.
  const arrived = nextMessage(watcher, (topic) => topic === 'ourhome/gf/hall/lamp');
  await publish(watcher, 'ourhome/gf/hall/lamp', 'on');
  await arrived;
  await waitFor(() => hub.hub.registry.list().length === 1 || undefined, 5000, 'the good device');
  assert.deepEqual(hub.hub.registry.list().map((d) => d.topic), ['ourhome/gf/hall/lamp']);
  assert.ok(hub.hub.broker.counters.malformedPackets >= 4);
});

test('names and areas made from topics carry no control or bidirectional formatting characters', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "lamp" as "pmal"; U+0007 rings a terminal's bell.
  await publish(device, 'ourhome/ground\u0007floor/\u202Ehall/\u2066lamp', 'on');
  const made = await waitFor(() => hub.hub.registry.list()[0], 5000, 'the device');
  assert.equal(made.name, 'Hall lamp');
  assert.equal(made.floor, 'Ground floor'); // areas are prettified once (server/core/prettify.ts)
  assert.equal(made.room, 'Hall');
  assert.equal(made.topic, 'ourhome/ground\u0007floor/\u202Ehall/\u2066lamp'); // the topic itself stays as sent
});
