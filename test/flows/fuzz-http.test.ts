import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { waitFor } from '../helpers/hub.js';
import { fuzzMs, listenerConnections } from '../helpers/fuzz.js';
import { request, startTlsHub } from '../helpers/tls.js';
import { fuzzHttp } from '../fuzz/http-fuzzer.js';
import { fuzzSockets } from '../fuzz/socket-fuzzer.js';
import { seedFromEnv } from '../fuzz/prng.js';

async function login(url: string, ca: string): Promise<string> {
  const res = await request(`${url}/api/auth/login`, { ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }) });
  assert.equal(res.status, 200);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

/**
 * Random and broken HTTP requests (over HTTPS, and plain HTTP on the same port) and random socket.io events and
 * engine.io frames from authenticated sockets, at the same time, on a hub with TLS on. Every HTTP answer must be
 * below 500, the hub must not crash, and afterwards it must answer, accept a new dashboard socket and have no
 * connection left over.
 */
test('HTTP and socket.io fuzz: no 5xx, no crash, no sockets left over; the dashboard channel still works', async (t) => {
  const seed = seedFromEnv();
  const durationMs = fuzzMs(4);
  t.diagnostic(`seed ${seed} (repeat with FUZZ_SEED=${seed}), ${durationMs / 1000} s`);
  console.log(`# HTTP/socket.io fuzz seed ${seed}`);
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  // Each fuzzer has its own session: one logging itself out must not end the other's.
  const [httpCookie, socketCookie] = [await login(hub.httpsUrl, hub.ca), await login(hub.httpsUrl, hub.ca)];
  const token = await hub.hub.store.apiTokens.create('fuzz');
  const secrets = { cookie: httpCookie, token };

  const [overTls, plain, sockets] = await Promise.all([
    fuzzHttp({ seed, durationMs, concurrency: 6, port: hub.webPort, ca: hub.ca, secrets }),
    fuzzHttp({ seed: seed ^ 0x5bd1e995, durationMs, concurrency: 2, port: hub.webPort, secrets }),
    fuzzSockets({ seed, durationMs, url: hub.httpsUrl, cookie: socketCookie, ca: hub.ca }),
  ]);
  t.diagnostic(`HTTPS: ${overTls.requests} requests ${JSON.stringify(overTls.byClass)}; plain HTTP: ${plain.requests} ${JSON.stringify(plain.byClass)}`);
  t.diagnostic(`socket.io: ${sockets.events} events (${sockets.acks} acked), ${sockets.rawFrames} raw frames; the hub closed ${sockets.closedByHub} sockets`);
  assert.deepEqual([...overTls.serverErrors, ...plain.serverErrors], [], 'no request got a 5xx');
  assert.ok(overTls.requests > 100 && sockets.events > 100, 'the fuzz ran');
  assert.deepEqual(plain.successes.filter((s) => !s.startsWith('GET /ca.crt')), [], 'plain HTTP only redirects (or serves /ca.crt)');

  // Afterwards: the API answers, a new dashboard socket gets its snapshot and its commands acknowledged.
  assert.equal((await request(`${hub.httpsUrl}/api/devices`, { ca: hub.ca, headers: { authorization: `Bearer ${token}` } })).status, 200);
  const live = io(hub.httpsUrl, { transports: ['websocket'], extraHeaders: { authorization: `Bearer ${token}` }, reconnection: false, forceNew: true, ca: hub.ca });
  t.after(() => live.close());
  await new Promise<void>((resolve, reject) => {
    live.once('snapshot', () => resolve());
    live.once('connect_error', reject);
  });
  const ack = await live.timeout(5000).emitWithAck('command', { deviceId: 'no-such-device', property: 'light', value: true });
  assert.equal(ack.ok, false);
  assert.equal(ack.error, 'RUMAH_ERR_NOT_FOUND');
  live.close();
  await waitFor(() => hub.hub.realtime.connections === 0, 5000, 'no dashboard sockets left');
  await waitFor(async () => (await listenerConnections(hub.hub)).web === 0, 5000, 'no web connections left');
});

/**
 * Found by the long fuzz run: POST /api/accounts {"username":"admin"} made an MQTT account named like the dashboard
 * admin, and DELETE /api/accounts/admin then disconnected every MQTT client logged in as the dashboard admin (one
 * MQTT username, two principals). Names are now one namespace across MQTT accounts and dashboard users.
 */
test('an MQTT account cannot take a dashboard user\'s name, nor a user an account\'s', async (t) => {
  const hub = await startTlsHub();
  t.after(() => hub.stop());
  const cookie = await login(hub.httpsUrl, hub.ca);
  const post = (path: string, body: unknown) => request(`${hub.httpsUrl}${path}`, { ca: hub.ca, method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const taken = await post('/api/accounts', { username: 'admin' });
  assert.equal(taken.status, 409);
  assert.match(taken.body, /dashboard user's name/);
  assert.equal((await post('/api/accounts', { username: 'porch-light' })).status, 201);
  const user = await post('/api/users', { username: 'porch-light', password: 'long enough password', role: 'member' });
  assert.equal(user.status, 409);
  assert.match(user.body, /MQTT account's name/);
});
