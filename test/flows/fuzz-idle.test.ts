import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { connect, end, nextMessage, publish, subscribe } from '../helpers/hub.js';
import { request, startTlsHub } from '../helpers/tls.js';

const admin = { username: 'admin', password: 'test-admin-password' };
const connectPacket = (clientId: string): Buffer => mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 600, ...admin, password: Buffer.from(admin.password) } as never);

/** Resolves with how long the hub took to close `socket` (ms), or rejects after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

test('slow-loris: connections that never send CONNECT (plain, half a CONNECT, TLS without a handshake, TLS without CONNECT) are closed after mqtt.connectTimeout', async (t) => {
  const connectTimeout = 1000;
  const hub = await startTlsHub({}, { mqtt: { connectTimeout } as never });
  t.after(() => hub.stop());
  const plainPort = Number(new URL(hub.mqttUrl).port);
  const good = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca });
  t.after(() => end(good));
  await subscribe(good, 'idle/check');

  const sockets: Array<{ what: string; socket: net.Socket }> = [];
  for (let i = 0; i < 10; i++) sockets.push({ what: 'silent TCP', socket: net.connect(plainPort, '127.0.0.1') });
  for (let i = 0; i < 5; i++) {
    const socket = net.connect(plainPort, '127.0.0.1', () => socket.write(connectPacket(`half-${i}`).subarray(0, 5)));
    sockets.push({ what: 'half a CONNECT', socket });
  }
  for (let i = 0; i < 5; i++) sockets.push({ what: 'TCP to the TLS port, no handshake', socket: net.connect(hub.tlsPort, '127.0.0.1') });
  const handshaken = await Promise.all(Array.from({ length: 5 }, () => new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: hub.tlsPort, ca: hub.ca }, () => resolve(socket));
    socket.on('error', reject);
  })));
  for (const socket of handshaken) sockets.push({ what: 'TLS, no CONNECT', socket });
  t.after(() => sockets.forEach((s) => s.socket.destroy()));

  const times = await Promise.all(sockets.map((s) => closedWithin(s.socket, connectTimeout + 3000).catch((err: Error) => {
    throw new Error(`${s.what}: ${err.message}`);
  })));
  for (const ms of times) assert.ok(ms >= connectTimeout * 0.8, `closed after ${ms} ms, not before the timeout`);
  t.diagnostic(`closed after ${Math.min(...times)}-${Math.max(...times)} ms (connectTimeout ${connectTimeout} ms)`);

  // The well-behaved client was served throughout.
  const echo = nextMessage(good, (topic) => topic === 'idle/check');
  await publish(good, 'idle/check', 'still here');
  assert.equal((await echo).payload, 'still here');
  assert.equal(hub.hub.broker.connectedClients, 1);
});

/**
 * A subscriber that stops reading while a publisher floods its topic. Two ways it ends: falling behind by more
 * than mqtt.maxBufferedBytes drops it at once; staying blocked longer than mqtt.drainTimeout drops it too. Either
 * way another subscriber of the same topic keeps getting every message with no stall (aedes alone would stop
 * deliveries to everyone for the drain timeout: see server/mqtt/slow-reader-guard.ts).
 */
for (const c of [
  { name: 'over mqtt.maxBufferedBytes: dropped at once', payload: 32 * 1024, drainTimeout: 20_000, within: [0, 5000], counted: true },
  { name: 'blocked longer than mqtt.drainTimeout: dropped by the timer', payload: 512, drainTimeout: 1000, within: [1000, 8000], counted: false },
]) {
  test(`a subscriber that stops reading cannot stall others (${c.name})`, async (t) => {
    const hub = await startTlsHub({}, { mqtt: { drainTimeout: c.drainTimeout } as never });
    t.after(() => hub.stop());
    const plainPort = Number(new URL(hub.mqttUrl).port);
    const stuck = net.connect(plainPort, '127.0.0.1');
    t.after(() => stuck.destroy());
    stuck.on('error', () => {});
    stuck.write(connectPacket('stuck'));
    stuck.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 0 }] } as never));
    let dropped: number | undefined;
    /** Messages sent by the publisher and received by the other subscriber, when the stuck one's socket filled and when it was dropped. */
    let atBlocked: { sent: number; arrived: number } | undefined;
    let atDropped: { sent: number; arrived: number } | undefined;
    hub.hub.bus.on('clientDisconnected', 'test', (e) => {
      if (e.clientId !== 'stuck') return;
      dropped = Date.now();
      atDropped = { sent, arrived: arrivals.length };
    });
    // Wait for the SUBACK (CONNACK is 4 bytes, SUBACK 5), then never read again.
    await new Promise<void>((resolve) => {
      let seen = 0;
      const onData = (d: Buffer): void => {
        seen += d.length;
        if (seen < 9) return;
        stuck.off('data', onData);
        stuck.pause();
        resolve();
      };
      stuck.on('data', onData);
    });

    // The hub's side of the stuck connection: a write it refuses is where aedes alone would stop routing.
    const stuckConn = (hub.hub.broker.aedes as unknown as { clients: Record<string, { conn: { writableNeedDrain: boolean } }> }).clients.stuck!.conn;
    const good = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca, clientId: 'good' });
    t.after(() => end(good));
    await subscribe(good, 'flood/#', 0);
    const arrivals: number[] = [];
    good.on('message', () => arrivals.push(Date.now()));
    const publisher = await connect(hub.mqttUrl, { ...admin, clientId: 'publisher' });
    t.after(() => end(publisher));

    const payload = Buffer.alloc(c.payload, 0x61);
    const start = Date.now();
    let sent = 0;
    // A bounded flood: ~2,000 messages a second until the stuck client is gone and 1 s more, at most 10 s.
    while (Date.now() - start < 10_000 && (dropped === undefined || Date.now() - dropped < 1000)) {
      if (!atBlocked && dropped === undefined && stuckConn.writableNeedDrain) atBlocked = { sent, arrived: arrivals.length };
      for (let k = 0; k < 10; k++, sent++) publisher.publish('flood/x', payload, { qos: 0 });
      await new Promise((r) => setTimeout(r, 5));
    }
    await publish(publisher, 'flood/done', 'end', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(dropped, 'the stuck subscriber was disconnected');
    const after = dropped - start;
    assert.ok(after >= c.within[0]! && after <= c.within[1]!, `dropped after ${after} ms`);
    assert.equal(hub.hub.broker.counters.slowReadersDropped, c.counted ? 1 : 0);
    const token = await hub.hub.store.apiTokens.create('metrics');
    const metrics = (await request(`${hub.httpsUrl}/metrics`, { ca: hub.ca, headers: { authorization: `Bearer ${token}` } })).body;
    assert.match(metrics, new RegExp(`^rumah_mqtt_slow_readers_dropped_total ${c.counted ? 1 : 0}$`, 'm'));
    assert.equal(arrivals.length, sent + 1, 'the other subscriber got every message');
    let gap = 0;
    for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!);
    t.diagnostic(`${sent} messages of ${c.payload} B; stuck subscriber dropped after ${after} ms; blocked → dropped ${JSON.stringify(atBlocked)} → ${JSON.stringify(atDropped)}; longest pause for the other: ${gap} ms`);
    if (!c.counted) {
      // While the stuck subscriber's socket was full and before its drain timer dropped it (a second), the other one
      // went on getting what was published: counted, not timed. aedes alone held every delivery for that second.
      assert.ok(atBlocked && atDropped, 'the stuck subscriber\'s socket filled before it was dropped');
      const sentMeanwhile = atDropped.sent - atBlocked.sent;
      const arrivedMeanwhile = atDropped.arrived - atBlocked.arrived;
      assert.ok(sentMeanwhile >= 100, `${sentMeanwhile} messages sent while the stuck subscriber was blocked`);
      assert.ok(arrivedMeanwhile >= sentMeanwhile / 2, `the other subscriber got ${arrivedMeanwhile} of the ${sentMeanwhile} messages published while the stuck one was blocked`);
    }
  });
}
