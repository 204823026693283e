// A burst of logins after a restart (issue 19, item 1): every login needing a scrypt waits for a slot of the login
// gate, and only the hash holds the slot (the account's row is read before it, many logins to one query, and read
// again after it). Whatever the order the answers come in, each is the right one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { adminPassword, startHub } from '../helpers/hub.js';
import { readMetrics } from '../helpers/http.js';

/** One CONNECT; resolves with the CONNACK return code, or 'closed'. The socket is kept until `sockets` are closed. */
function login(port: number, sockets: net.Socket[], clientId: string, username: string, password: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    socket.once('data', (d) => resolve(d[0] === 0x20 ? d[3]! : 'closed'));
    socket.once('close', () => resolve('closed'));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60, username, password: Buffer.from(password) } as never));
  });
}

test('a burst of first logins: every right password connects; wrong ones, unknown names and revoked accounts are refused', async (t) => {
  // All from 127.0.0.1: the per-address throttle would refuse the right ones after the wrong ones.
  const hub = await startHub({ mqtt: { loginFailures: 1_000_000 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const sockets: net.Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const { accounts } = hub.hub.store;
  // Made before any login: the verified cache knows none of them, as after a restart.
  const devices = await Promise.all(Array.from({ length: 30 }, async (_, i) => ({ username: `house-${i}`, password: await accounts.create(`house-${i}`, 'device') })));
  const revoked = { username: 'old-plug', password: await accounts.create('old-plug', 'device') };
  await accounts.revoke('old-plug');
  const late = devices[29]!;

  const answers = {
    right: devices.map((d, i) => login(port, sockets, `right-${i}`, d.username, d.password)),
    wrong: devices.slice(0, 8).map((d, i) => login(port, sockets, `wrong-${i}`, d.username, `${d.password}x`)),
    revoked: [0, 1, 2].map((i) => login(port, sockets, `revoked-${i}`, revoked.username, revoked.password)),
    unknown: [0, 1, 2].map((i) => login(port, sockets, `unknown-${i}`, `nobody-${i}`, 'a password of the usual length')),
    // One credential many times at once (an app fleet): one scrypt, shared, then the cache.
    admin: Array.from({ length: 50 }, (_, i) => login(port, sockets, `app-${i}`, 'admin', adminPassword)),
  };
  // Revoked while the burst is being checked: its last login in the queue (behind ~40 hashes) must not get in.
  await accounts.revoke(late.username);

  const right = await Promise.all(answers.right);
  assert.deepEqual(right.slice(0, 29), Array.from({ length: 29 }, () => 0), 'every right password of an active account connects');
  assert.equal(right[29], 4, 'the account revoked during the burst is refused');
  assert.deepEqual(await Promise.all(answers.wrong), Array.from({ length: 8 }, () => 4));
  assert.deepEqual(await Promise.all(answers.revoked), [4, 4, 4]);
  assert.deepEqual(await Promise.all(answers.unknown), [4, 4, 4]);
  assert.deepEqual(await Promise.all(answers.admin), Array.from({ length: 50 }, () => 0));
  assert.equal(hub.hub.broker.connectedClients, 29 + 50);
  assert.equal(hub.hub.broker.login.gate.waiting, 0);
});

test('a restart storm waits in line: 600 first logins at once all connect, and sockets that send nothing do not hold them up', async (t) => {
  // The window of logins in progress is 256 (server/mqtt/mqtt-login.ts): 600 at once must wait in line. A connection
  // waiting longer than mqtt.connectTimeout is refused (CONNACK 3); the line's last waited 2.8 s of the default 10 with
  // the machine to itself, and the suite runs two files at once. So the timeout is raised, and the silent sockets
  // below, still open when the last device is in, show they held no place (had they, the devices would have waited
  // for the hub to drop them at that timeout).
  const hub = await startHub({ mqtt: { connectTimeout: 60_000 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const sockets: net.Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const { accounts } = hub.hub.store;
  const devices: Array<{ username: string; password: string }> = [];
  for (let i = 0; i < 600; i += 50) {
    devices.push(...(await Promise.all(Array.from({ length: 50 }, async (_, k) => ({ username: `storm-${i + k}`, password: await accounts.create(`storm-${i + k}`, 'device') })))));
  }
  // First, 300 connections that never send a CONNECT (a scanner, a half-booted device): they must not take the places
  // of the devices behind them.
  let silentClosed = 0;
  for (let i = 0; i < 300; i++) {
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => {});
    silent.once('close', () => silentClosed++);
    sockets.push(silent);
  }
  const answers = await Promise.all(devices.map((d, i) => login(port, sockets, `storm-${i}`, d.username, d.password)));
  assert.deepEqual(answers, devices.map(() => 0), 'every device connected');
  assert.equal(silentClosed, 0, 'the silent sockets are still open: no device waited for them to be dropped');
  assert.equal(hub.hub.broker.connectedClients, 600);
  const metrics = await readMetrics(hub);
  const waited = Number(/^rumah_mqtt_connections_waited_total (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(waited > 0, `connections waited in line (${waited})`);
  assert.match(metrics, /^rumah_mqtt_connections_waiting 0$/m, 'none left waiting');
  assert.match(metrics, /^rumah_mqtt_connections_expired_total 0$/m, 'none waited past mqtt.connectTimeout');
});
