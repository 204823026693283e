// Login throttles count an attempt when its check starts (issue 15, item 9): wrong passwords sent all at once from
// one address are checked about `loginFailures` times, not hundreds, and other addresses log in meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import mqttPacket from 'mqtt-packet';
import { MAX_HASHES_AT_ONCE } from '../../server/mqtt/login-gate.js';
import { connect, deviceAccount, end, startHub } from '../helpers/hub.js';

/** One CONNECT with a wrong password from `localAddress`; resolves with the CONNACK return code (or -1: closed). */
async function wrongLogin(port: number, localAddress: string, username: string, i: number): Promise<number> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  const parser = mqttPacket.parser();
  const answer = new Promise<number>((resolve) => {
    parser.on('packet', (p) => resolve((p as { returnCode?: number }).returnCode ?? -1));
    socket.on('close', () => resolve(-1));
  });
  socket.on('data', (d) => parser.parse(d));
  await once(socket, 'connect');
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `guess-${i}`, keepalive: 60, username, password: Buffer.from(`wrong-${i}`) }));
  const code = await answer;
  socket.destroy();
  return code;
}

test('MQTT: 200 wrong passwords at once from one address are checked at most loginFailures + (hashes at once) times; another address logs in meanwhile', async (t) => {
  const hub = await startHub({ mqtt: { loginFailures: 5 } });
  t.after(() => hub.stop());
  const victim = await deviceAccount(hub, 'victim');
  const port = Number(new URL(hub.mqttUrl).port);
  // The attacker on 127.0.0.2 (loopback is a /8 on Linux), the house on 127.0.0.1.
  const guesses = Array.from({ length: 200 }, (_, i) => wrongLogin(port, '127.0.0.2', victim.username, i));
  const device = await connect(hub.mqttUrl, victim);
  t.after(() => end(device));
  const codes = await Promise.all(guesses);
  assert.deepEqual([...new Set(codes)].sort(), [4, 5], 'refused as bad password (checked) or not authorized (throttled)');
  const { refusedLogins, throttledLogins } = hub.hub.broker.counters;
  const checked = refusedLogins - throttledLogins;
  assert.equal(codes.filter((c) => c === 4).length, checked);
  // Checks already running when the fifth failure is counted still finish: at most one per hash slot.
  assert.ok(checked <= 5 + MAX_HASHES_AT_ONCE, `${checked} wrong passwords were checked (scrypt each); at most ${5 + MAX_HASHES_AT_ONCE} may be`);
  assert.equal(device.connected, true);
});

test('dashboard: 100 wrong logins posted at once from one address are checked at most 5 + (hashes at once) times (the rest get 429)', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const post = (i: number) =>
    fetch(`${hub.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: `wrong-${i}-password` }) }).then((r) => r.status);
  const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i)));
  const checked = statuses.filter((s) => s === 401).length;
  assert.deepEqual([...new Set(statuses)].sort(), [401, 429]);
  assert.ok(checked <= 5 + MAX_HASHES_AT_ONCE, `${checked} wrong passwords were checked; at most ${5 + MAX_HASHES_AT_ONCE} may be`);
});
