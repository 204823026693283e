// A connection's bytes are parsed a piece at a time (server/mqtt/read-pieces.ts, issue 19 item 5): nothing is lost
// or reordered on the way, a packet larger than a piece still arrives whole, and a connection with much buffered
// does not have it all handled before another connection's packet that was waiting in the same turn.
import net from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { adminPassword, connect, end, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';
import { pieceBytes } from '../../server/mqtt/read-pieces.js';

const admin = { username: 'admin', password: adminPassword };

/** A raw 3.1.1 connection that has its CONNACK. */
async function rawLogin(port: number, clientId: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 60, username: admin.username, password: Buffer.from(admin.password) }));
  await new Promise((resolve) => socket.once('data', resolve));
  return socket;
}

const publishes = (topic: (i: number) => string, count: number, bytes = 40): Buffer =>
  Buffer.concat(Array.from({ length: count }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic: topic(i), payload: Buffer.from(String(i).padStart(bytes, '0')), qos: 0, retain: false, dup: false })));

test('a QoS 1 PUBLISH many pieces long, sent alone, arrives whole and is acknowledged', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'big-sub' });
  t.after(() => end(sub));
  const got: Buffer[] = [];
  sub.on('message', (_topic, payload) => got.push(payload));
  await subscribe(sub, 'pieces/big', 1);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'big-pub' });
  t.after(() => end(pub));
  const payload = Buffer.alloc(pieceBytes * 20 + 7, 'x');
  payload.write('first', 0);
  payload.write('last', payload.length - 4);
  // Its last bytes reach the hub's buffer with no more data behind them: only the hub's own next read can finish it.
  await publish(pub, 'pieces/big', payload, { qos: 1 });
  await waitFor(() => got.length === 1, 10_000, 'the large message');
  assert.ok(got[0]!.equals(payload));
});

test('eight thousand publishes sent back to back are all routed, in order, once, also while the history writer holds the publisher', async (t) => {
  // A small history queue: the publisher is held and let go (flow-control.ts) while its bytes wait in pieces. (A read
  // asked for from inside the parse of the piece before, which must find nothing: test/flows/flood.test.ts, "more
  // state changes than SQLite takes", fails without that.)
  const hub = await startHub({ history: { maxQueue: 2000 } as never });
  t.after(() => hub.stop());
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'order-sub' });
  t.after(() => end(sub));
  const got: number[] = [];
  sub.on('message', (_topic, payload) => got.push(Number(payload.toString())));
  await subscribe(sub, 'ourhome/pieces/#', 0);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'order-pub' });
  t.after(() => end(pub));
  const count = 8000;
  // Device topics, each message a new value (a state change and a history row): as a house's devices send them.
  for (let i = 0; i < count; i++) pub.publish(`ourhome/pieces/room${i % 50}/temperature`, String(i), { qos: 0 });
  await publish(pub, 'ourhome/pieces/marker/temperature', String(count), { qos: 1 });
  await waitFor(() => got.length >= count + 1, 30_000, `${count + 1} messages`);
  assert.deepEqual(got, Array.from({ length: count + 1 }, (_, i) => i));
  assert.ok(hub.hub.broker.heldPublishes > 0, 'the publisher was held at least once');
});

test('a connection with much buffered does not have it all handled before another connection\'s packet of the same turn', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const sub = await connect(hub.mqttUrl, { ...admin, clientId: 'turn-sub' });
  t.after(() => end(sub));
  const seen: string[] = [];
  sub.on('message', (topic) => seen.push(topic));
  await subscribe(sub, 'pieces/turn/#', 0);
  const flooder = await rawLogin(port, 'turn-flooder');
  const other = await rawLogin(port, 'turn-other');
  t.after(() => void flooder.destroy());
  t.after(() => void other.destroy());
  const count = 700;
  const burst = publishes(() => 'pieces/turn/flood', count);
  assert.ok(burst.length > pieceBytes * 2 && burst.length < 60_000, 'a few pieces, within one read of the hub');
  // Both written, then this process (the hub's too) kept busy: both sockets are readable when its event loop next
  // looks, the flooder's first.
  flooder.write(burst);
  other.write(mqttPacket.generate({ cmd: 'publish', topic: 'pieces/turn/other', payload: Buffer.from('1'), qos: 0, retain: false, dup: false }));
  const until = Date.now() + 200;
  while (Date.now() < until) { /* the hub's event loop waits; the bytes reach its sockets */ }
  await waitFor(() => seen.length === count + 1, 10_000, 'every message');
  const at = seen.indexOf('pieces/turn/other');
  assert.ok(at >= 0 && at < count, `the other connection's message came after ${at} of the flood's ${count}, not after all of them`);
});
