import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { connect, end, nextMessage, publish, startHub, subscribe } from '../helpers/hub.js';

/** Sends a CONNECT with a wrong password; resolves with the CONNACK return code (or 'closed') and the time it took. */
function badLogin(port: number, i: number): Promise<{ code: number | 'closed'; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('data', (d) => {
      resolve({ code: d[0] === 0x20 ? d[3]! : 'closed', ms: Date.now() - t0 });
      socket.destroy();
    });
    socket.once('close', () => resolve({ code: 'closed', ms: Date.now() - t0 }));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `bad-${i}`, keepalive: 60, username: `nobody-${i}`, password: Buffer.from('wrong password') } as never));
  });
}

/**
 * A flood of logins with wrong passwords (each one a scrypt), as from many addresses (the per-address throttle is
 * off here). Checks run 2 at a time and wait at most the connect timeout: every client gets an answer in bounded
 * time (4 "bad password", or 3 "server unavailable" when the queue was full or the wait too long), and a
 * well-behaved client's QoS 1 messages are not held up behind the password checks.
 */
test('login flood: every bad login is answered in bounded time, and a good client\'s QoS 1 round trip stays fast', async (t) => {
  const connectTimeout = 1500;
  const hub = await startHub({ mqtt: { loginFailures: 1_000_000, connectTimeout, maxPendingLogins: 40 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const good = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(good));
  await subscribe(good, 'flood/rtt');

  const answers = Promise.all(Array.from({ length: 150 }, (_, i) => badLogin(port, i)));
  const rtts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    const echo = nextMessage(good, (topic) => topic === 'flood/rtt');
    await publish(good, 'flood/rtt', String(i), { qos: 1 });
    await echo;
    rtts.push(Date.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  const results = await answers;
  const codes = new Map<number | 'closed', number>();
  for (const r of results) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(codes))}; slowest ${Math.max(...results.map((r) => r.ms))} ms; QoS 1 round trips ${Math.min(...rtts)}-${Math.max(...rtts)} ms`);
  assert.equal(codes.get('closed') ?? 0, 0, 'every login got a CONNACK');
  assert.ok((codes.get(4) ?? 0) > 0, 'some were checked and refused as bad passwords');
  assert.ok((codes.get(3) ?? 0) > 0, 'the rest were refused as server unavailable, not left waiting');
  assert.ok(results.every((r) => r.ms < connectTimeout + 1000), 'no login waited much past the connect timeout');
  assert.ok(Math.max(...rtts) < 500, `QoS 1 round trips during the flood: ${rtts.join(', ')} ms`);
  assert.equal(hub.hub.broker.loginGate.waiting, 0);
  const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  assert.match(metrics, new RegExp(`^rumah_mqtt_logins_busy_total ${codes.get(3)}$`, 'm'));
});
