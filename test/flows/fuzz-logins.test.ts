import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { connect, end, nextMessage, publish, startHub, subscribe } from '../helpers/hub.js';
import { readMetrics } from '../helpers/http.js';

/** Sends a CONNECT with a wrong password; resolves with the CONNACK return code (or 'closed') and the time it took. */
function badLogin(port: number, i: number): Promise<{ code: number | 'closed'; ms: number }> {
  return login(port, `bad-${i}`, `nobody-${i}`, 'wrong password');
}

function login(port: number, clientId: string, username: string, password: string): Promise<{ code: number | 'closed'; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('data', (d) => {
      resolve({ code: d[0] === 0x20 ? d[3]! : 'closed', ms: Date.now() - t0 });
      socket.destroy();
    });
    socket.once('close', () => resolve({ code: 'closed', ms: Date.now() - t0 }));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60, username, password: Buffer.from(password) } as never));
  });
}

/**
 * A flood of logins with wrong passwords (each one a scrypt), as from many addresses (the per-address throttle is
 * off here). Checks run a few at a time (login-gate.ts hashesAtOnce(): 3 on 2 cores) and wait at most the connect timeout: every client gets an answer in bounded
 * time (4 "bad password", or 3 "server unavailable" when the queue was full or the wait too long), and a
 * well-behaved client's QoS 1 messages are not held up behind the password checks (its round trip ends while checks
 * still wait; timing belongs to bench/logins.ts).
 */
test('login flood: every bad login is answered in bounded time, and a good client\'s QoS 1 round trip does not wait behind the checks', async (t) => {
  const connectTimeout = 1500;
  const hub = await startHub({ mqtt: { loginFailures: 1_000_000, connectTimeout, maxPendingLogins: 40 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const good = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(good));
  await subscribe(good, 'flood/rtt');

  const answers = Promise.all(Array.from({ length: 150 }, (_, i) => badLogin(port, i)));
  const gate = hub.hub.broker.login.gate;
  // The round trips begin once the checks are queued: the first must end while many still wait (had it waited
  // behind them, it would end once the queue was through). Compared by order, not by a time bound.
  for (let i = 0; gate.waiting < 20; i++) {
    assert.ok(i < 5000, `the password checks did not queue up (${gate.waiting} waiting)`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const rtts: number[] = [];
  const waitingAtEcho: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = Date.now();
    const echo = nextMessage(good, (topic) => topic === 'flood/rtt');
    await publish(good, 'flood/rtt', String(i), { qos: 1 });
    await echo;
    waitingAtEcho.push(gate.waiting);
    rtts.push(Date.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  const results = await answers;
  const codes = new Map<number | 'closed', number>();
  for (const r of results) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(codes))}; slowest ${Math.max(...results.map((r) => r.ms))} ms; QoS 1 round trips ${Math.min(...rtts)}-${Math.max(...rtts)} ms; checks waiting at each echo: ${waitingAtEcho.join(' ')}`);
  assert.equal(codes.get('closed') ?? 0, 0, 'every login got a CONNACK');
  assert.ok((codes.get(4) ?? 0) > 0, 'some were checked and refused as bad passwords');
  assert.ok((codes.get(3) ?? 0) > 0, 'the rest were refused as server unavailable, not left waiting');
  // How long one may wait is the gate's timer (test/unit/mqtt/login-gate.test.ts), not timed here.
  assert.ok(waitingAtEcho[0]! > 0, `the first QoS 1 round trip ended only when no password check waited any more (${waitingAtEcho.join(' ')})`);
  assert.equal(hub.hub.broker.login.gate.waiting, 0);
  const metrics = await readMetrics(hub);
  assert.match(metrics, new RegExp(`^rumah_mqtt_logins_busy_total ${codes.get(3)}$`, 'm'));
});

/**
 * A device whose password was verified before logs in at once while the queue of password checks is full: it
 * skips the login gate (one HMAC, no scrypt). Before, it waited behind every scrypt, and with the queue full it was
 * refused as busy (1,000 devices pairing: the accepted ones came online only after the candidates were hashed).
 */
test('login flood: a device that logged in before is not queued behind the password checks', async (t) => {
  const hub = await startHub({ mqtt: { loginFailures: 1_000_000, connectTimeout: 5000, maxPendingLogins: 4 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const password = await hub.hub.store.accounts.create('flood-lamp', 'device');
  assert.equal((await login(port, 'lamp', 'flood-lamp', password)).code, 0, 'first login (verifies the password)');

  let flooding = true;
  let sent = 0;
  const flood = Promise.all(Array.from({ length: 8 }, async () => {
    while (flooding) await badLogin(port, sent++);
  }));
  t.after(() => { flooding = false; });
  while (hub.hub.broker.login.gate.waiting < 4) await new Promise((r) => setTimeout(r, 5));
  const codes: Array<number | 'closed'> = [];
  for (let i = 0; i < 5; i++) codes.push((await login(port, 'lamp', 'flood-lamp', password)).code);
  const queued = hub.hub.broker.login.gate.waiting;
  flooding = false;
  await flood;
  t.diagnostic(`${sent} bad logins sent; gate queue ${queued} while the device logged in`);
  assert.deepEqual(codes, [0, 0, 0, 0, 0]);
  assert.ok(queued > 0, 'the gate was still busy with the flood');
  assert.equal((await login(port, 'lamp2', 'flood-lamp', 'wrong')).code, 4, 'a wrong password still gets the full check');
});
