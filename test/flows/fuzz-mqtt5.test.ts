import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { adminPassword, connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { fuzzMs, listenerConnections } from '../helpers/fuzz.js';
import { strictSubscriber } from '../helpers/mqtt5-raw.js';
import { request, startTlsHub } from '../helpers/tls.js';
import { fuzzMqtt5 } from '../fuzz/mqtt5-fuzzer.js';
import { seedFromEnv } from '../fuzz/prng.js';

const admin = { username: 'admin', password: adminPassword };

/**
 * MQTT 5 packets with random, duplicated, misplaced and cut-up properties, and every malformed form of
 * test/fuzz/mqtt5-packets.ts, over plain TCP and TLS, while an MQTT 5 publisher and subscriber keep working. The hub
 * must not crash (a CONNECT or DISCONNECT with Session Expiry Interval twice did), must leak nothing, and only the
 * connection that sent a bad packet may be affected.
 */
test('MQTT 5 fuzz: bad properties and packets end only their own connection; the v5 clients get everything', async (t) => {
  const seed = seedFromEnv();
  const durationMs = fuzzMs(5);
  t.diagnostic(`seed ${seed} (repeat with FUZZ_SEED=${seed}), ${durationMs / 1000} s`);
  console.log(`# MQTT 5 fuzz seed ${seed}`);
  const hub = await startTlsHub({}, { mqtt: { loginFailures: 1_000_000, connectTimeout: 1000, drainTimeout: 2000 } as never });
  t.after(() => hub.stop());
  const device = await deviceAccount(hub, 'fuzz5-device');
  const plainPort = Number(new URL(hub.mqttUrl).port);

  const base = `good/${crypto.randomBytes(4).toString('hex')}`;
  const subscriber = await connect(hub.mqttUrl, { ...admin, clientId: 'good-subscriber-v5', protocolVersion: 5 });
  t.after(() => end(subscriber));
  await subscribe(subscriber, `${base}/#`, 1);
  // Everything the fuzz publishes goes to it too: what a bad publisher sends must not break its subscribers.
  await subscribe(subscriber, 'fuzz5/#', 0);
  const received: number[] = [];
  subscriber.on('message', (topic, payload) => {
    if (topic.startsWith(base)) received.push(Number(payload.toString()));
  });
  // And a strict MQTT 5 subscriber of everything, which checks each PUBLISH it gets on the wire.
  const strict = await strictSubscriber(plainPort, admin, ['#']);
  t.after(() => strict.raw.destroy());
  const publisher = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca, clientId: 'good-publisher-v5', protocolVersion: 5 });
  t.after(() => end(publisher));
  let drops = 0;
  const why: string[] = [];
  for (const [name, c] of [['subscriber', subscriber], ['publisher', publisher]] as const) {
    c.on('close', () => drops++);
    c.on('error', (err) => why.push(`${name}: ${err.message}`));
    c.on('disconnect', (p) => why.push(`${name}: DISCONNECT 0x${(p.reasonCode ?? 0).toString(16)}`));
  }
  const baseline = await listenerConnections(hub.hub);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const rss0 = process.memoryUsage().rss;

  let sent = 0;
  const pump = setInterval(() => publisher.publish(`${base}/seq`, String(sent++), { qos: 1, properties: { contentType: 'text/plain', userProperties: { n: String(sent) } } }), 10);
  const stats = await fuzzMqtt5({
    seed, durationMs, concurrency: 12, credentials: [device, admin],
    dial: (n) => (n % 4 === 3 ? tls.connect({ host: '127.0.0.1', port: hub.tlsPort, ca: hub.ca }) : net.connect(plainPort, '127.0.0.1')),
  }).finally(() => clearInterval(pump));
  lag.disable();
  t.diagnostic(`${stats.sessions} connections, ${stats.packets} packets, ${(stats.bytes / 1e6).toFixed(1)} MB; the hub closed ${stats.closedByHub}`);
  t.diagnostic(`answers: ${JSON.stringify(stats.answers)}`);
  const grown = process.memoryUsage().rss - rss0;
  t.diagnostic(`event loop delay max ${(lag.max / 1e6).toFixed(0)} ms, RSS ${(grown / 1e6).toFixed(0)} MB more`);
  // Memory bounded: a few seconds of fuzz grew the test process by 30-70 MB (hub and clients together); a leak per
  // connection or an unbounded buffer would show far past this.
  assert.ok(grown < 512e6, `RSS grew by ${(grown / 1e6).toFixed(0)} MB`);

  await waitFor(() => received.length >= sent, 10_000, `all ${sent} messages of the well-behaved publisher`).catch((err: Error) => {
    throw new Error(`${err.message}: ${received.length} received, ${drops} drops ${JSON.stringify(why)}`);
  });
  assert.deepEqual(received, Array.from({ length: sent }, (_, i) => i), 'every message, once, in order');
  assert.equal(drops, 0, `the well-behaved clients were never disconnected ${JSON.stringify(why)}`);
  assert.ok(stats.closedByHub > 0, 'the hub closed connections that broke the protocol');
  assert.ok(Object.keys(stats.answers).some((a) => a.startsWith('DISCONNECT 0x8')), 'the hub answered some bad packets with a DISCONNECT reason code');
  t.diagnostic(`the strict subscriber got ${strict.publishes()} PUBLISH packets`);
  assert.deepEqual(strict.problems.slice(0, 20), [], 'every PUBLISH forwarded is well-formed MQTT 5');
  assert.equal(strict.raw.closed, false, 'the strict subscriber was never disconnected');
  const clients = (): string => Object.entries((hub.hub.broker.aedes as unknown as { clients: Record<string, { connected: boolean; closed: boolean; version: number; conn: { destroyed: boolean } }> }).clients)
    .map(([id, c]) => `${id} (v${c.version}, connected ${c.connected}, closed ${c.closed}, socket destroyed ${c.conn.destroyed})`).join(', ');
  await waitFor(() => hub.hub.broker.connectedClients === 3, 15_000, 'broker client count back to 3').catch((err: Error) => {
    throw new Error(`${err.message}; connected: ${clients()}`);
  });
  await waitFor(async () => {
    const now = await listenerConnections(hub.hub);
    return now.mqtt === baseline.mqtt && now.mqttTls === baseline.mqttTls;
  }, 5000, `listener connections back to ${JSON.stringify(baseline)}`);
  assert.equal((await request(`${hub.httpsUrl}/healthz`, { ca: hub.ca })).status, 200);
});
