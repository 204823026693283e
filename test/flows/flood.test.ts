import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { connect, deviceAccount, end, nextMessage, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';

/**
 * Floods the hub from raw sockets for a bounded time, far faster than it can route, while a subscriber listens on
 * `ourhome/#`. Afterwards the hub must still answer another client and HTTP.
 */
test('flooding clients cannot take the hub down: after the flood another client is served', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub);
  const listener = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(listener));
  await subscribe(listener, 'ourhome/#', 0);
  let received = 0;
  listener.on('message', () => received++);

  const port = Number(new URL(hub.mqttUrl).port);
  const connectPacket = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: '', keepalive: 60, username: creds.username, password: Buffer.from(creds.password) } as never);
  // ~64 KB of QoS 0 publishes per write, all on 5 topics.
  const burst = Buffer.concat(Array.from({ length: 1000 }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic: `ourhome/flood/r${i % 5}/temperature`, payload: Buffer.from(`{"v":${i}}`), qos: 0, retain: false, dup: false } as never)));
  const floodMs = 3000;
  const sockets: net.Socket[] = [];
  let sent = 0;
  const floods = Array.from({ length: 8 }, (_, n) => new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.write(connectPacket);
    const stopAt = Date.now() + floodMs;
    const pump = (): void => {
      // Ignore backpressure up to a point, as a broken device would, but keep this test's own memory bounded.
      while (Date.now() < stopAt && !socket.destroyed && socket.writableLength < 8 * 1024 * 1024) {
        socket.write(burst);
        sent += 1000;
      }
      if (Date.now() < stopAt && !socket.destroyed) setTimeout(pump, 1);
      else {
        socket.end();
        resolve();
      }
    };
    setTimeout(pump, 50 + n);
  }));
  await Promise.all(floods);
  for (const s of sockets) s.destroy();

  // The hub still serves a well-behaved client and HTTP.
  const other = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(other));
  await subscribe(other, 'ourhome/check/after/flood');
  const echo = nextMessage(other, (topic) => topic === 'ourhome/check/after/flood', 10_000);
  await publish(other, 'ourhome/check/after/flood', 'ok');
  assert.equal((await echo).payload, 'ok');
  const health = await fetch(`${hub.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.ok(sent > 100_000, `the flood offered ${sent} messages`);
  assert.ok(received > 1000, `the subscriber received ${received} flood messages: the flooders were connected`);
  t.diagnostic(`flood: ${sent} publishes offered in ${floodMs} ms, ${received} delivered to the subscriber, ${hub.hub.broker['flow'].throttled} held back`);
});

test('more state changes than SQLite takes: publishers are held while the history writer catches up, nothing is dropped', async (t) => {
  // A small queue (held from 1,600 waiting changes) so that one fast publisher outruns the writer.
  const hub = await startHub({ history: { maxQueue: 2000 } as never });
  t.after(() => hub.stop());
  const device = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(device));
  const total = 30_000;
  // Every message a new value of one of 100 properties: each is a state change and a history row.
  for (let i = 0; i < total; i++) device.publish(`ourhome/groundfloor/room${i % 100}/temperature`, String(i), { qos: 0 });
  await publish(device, 'ourhome/groundfloor/marker/temperature', '1', { qos: 1 });
  const writer = hub.hub.store.writer;
  await waitFor(() => writer.written + writer.dropped >= total + 1 && writer.depth === 0, 60_000, 'every change written or dropped');
  assert.equal(writer.dropped, 0, 'no change dropped');
  assert.equal(writer.written, total + 1);
  assert.ok(hub.hub.broker.heldPublishes > 0, 'the publisher was held at least once');
});
