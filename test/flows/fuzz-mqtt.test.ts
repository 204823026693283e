import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { connect, deviceAccount, end, subscribe, waitFor } from '../helpers/hub.js';
import { fuzzMs, listenerConnections } from '../helpers/fuzz.js';
import { request, startTlsHub } from '../helpers/tls.js';
import { fuzzMqtt } from '../fuzz/mqtt-fuzzer.js';
import { seedFromEnv } from '../fuzz/prng.js';

const admin = { username: 'admin', password: 'test-admin-password' };

/**
 * Mutated and random MQTT packets of every type over real sockets (plain TCP and TLS) while a well-behaved
 * publisher and subscriber keep working. The hub must not crash, must close what it should, must leak no socket or
 * client, and the subscriber must get every message of the publisher, in order.
 */
test('MQTT fuzz: the hub survives broken packets, leaks no sockets, and the well-behaved clients get everything', async (t) => {
  const seed = seedFromEnv();
  const durationMs = fuzzMs(4);
  t.diagnostic(`seed ${seed} (repeat with FUZZ_SEED=${seed}), ${durationMs / 1000} s`);
  console.log(`# MQTT fuzz seed ${seed}`);
  // Logins must not be throttled, or the fuzz would stop reaching past CONNECT; idle fuzz connections end soon.
  const hub = await startTlsHub({}, { mqtt: { loginFailures: 1_000_000, connectTimeout: 1000, drainTimeout: 2000 } as never });
  t.after(() => hub.stop());
  const device = await deviceAccount(hub, 'fuzz-device');
  const plainPort = Number(new URL(hub.mqttUrl).port);

  const base = `good/${crypto.randomBytes(4).toString('hex')}`;
  const subscriber = await connect(hub.mqttUrl, { ...admin, clientId: 'good-subscriber' });
  t.after(() => end(subscriber));
  await subscribe(subscriber, `${base}/#`, 1);
  const received: number[] = [];
  subscriber.on('message', (_topic, payload) => received.push(Number(payload.toString())));
  const publisher = await connect(hub.mqttsUrl, { ...admin, ca: hub.ca, clientId: 'good-publisher' });
  t.after(() => end(publisher));
  let drops = 0;
  for (const c of [subscriber, publisher]) c.on('close', () => drops++);
  const baseline = await listenerConnections(hub.hub);

  let sent = 0;
  const pump = setInterval(() => publisher.publish(`${base}/seq`, String(sent++), { qos: 1 }), 10);
  const stats = await fuzzMqtt({
    seed, durationMs, concurrency: 16, credentials: [device, admin],
    // One connection in four goes over TLS, through the TLS listener's own limits and timeouts.
    dial: (n) => (n % 4 === 3 ? tls.connect({ host: '127.0.0.1', port: hub.tlsPort, ca: hub.ca }) : net.connect(plainPort, '127.0.0.1')),
  }).finally(() => clearInterval(pump));
  t.diagnostic(`${stats.sessions} connections, ${stats.packets} packets, ${(stats.bytes / 1e6).toFixed(1)} MB; the hub closed ${stats.closedByHub}`);

  await waitFor(() => received.length >= sent, 10_000, `all ${sent} messages of the well-behaved publisher`);
  assert.deepEqual(received, Array.from({ length: sent }, (_, i) => i), 'every message, once, in order');
  assert.equal(drops, 0, 'the well-behaved clients were never disconnected');
  assert.ok(stats.closedByHub > 0, 'the hub closed connections that broke the protocol');
  // No leaks: once the fuzz connections are gone, only the two well-behaved clients are left.
  // A leak never comes back; 15 s, not 5, because a CI machine running the other test files beside this one once
  // took longer than 5 s to see the last fuzz sockets close (not reproduced in 10 runs, 6 at once, same seed).
  const clients = (): string[] => Object.keys((hub.hub.broker.aedes as unknown as { clients: Record<string, unknown> }).clients);
  await waitFor(() => hub.hub.broker.connectedClients === 2, 15_000, 'broker client count back to 2').catch((err: Error) => {
    throw new Error(`${err.message}; still connected: ${clients().join(', ')}`);
  });
  await waitFor(async () => {
    const now = await listenerConnections(hub.hub);
    return now.mqtt === baseline.mqtt && now.mqttTls === baseline.mqttTls;
  }, 5000, `listener connections back to ${JSON.stringify(baseline)}`);
  assert.equal((await request(`${hub.httpsUrl}/healthz`, { ca: hub.ca })).status, 200);
});
