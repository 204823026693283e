// Session Present [MQTT-3.2.2-2] for a 3.1.1 session that holds no subscription, only a QoS 2 message awaiting its
// PUBREL: the client must be told its session is there, or it throws away the PUBREL it still has to send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { adminPassword, startHub, waitFor } from '../helpers/hub.js';

async function session(port: number, clean: boolean): Promise<{ socket: net.Socket; packets: Packet[] }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const parser = mqttPacket.parser();
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  socket.on('data', (d) => parser.parse(d));
  await once(socket, 'connect');
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId: 'publisher-only', keepalive: 60, username: 'admin', password: Buffer.from(adminPassword) }));
  await waitFor(() => packets.find((p) => p.cmd === 'connack'), 5000, 'CONNACK');
  return { socket, packets };
}

test('3.1.1: a session holding only an unreleased QoS 2 message is present at reconnect; a clean one is not', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const first = await session(port, false);
  assert.equal((first.packets[0] as { sessionPresent: boolean }).sessionPresent, false);
  first.socket.write(mqttPacket.generate({ cmd: 'publish', topic: 'plain/qos2', payload: 'x', qos: 2, messageId: 7, retain: false, dup: false }));
  await waitFor(() => first.packets.find((p) => p.cmd === 'pubrec'), 5000, 'PUBREC');
  first.socket.destroy(); // gone before its PUBREL

  const back = await session(port, false);
  assert.equal((back.packets[0] as { sessionPresent: boolean }).sessionPresent, true);
  back.socket.write(mqttPacket.generate({ cmd: 'pubrel', messageId: 7 }));
  await waitFor(() => back.packets.find((p) => p.cmd === 'pubcomp'), 5000, 'PUBCOMP');
  back.socket.destroy();

  const fresh = await session(port, true);
  assert.equal((fresh.packets[0] as { sessionPresent: boolean }).sessionPresent, false);
  fresh.socket.destroy();
});
