import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { connect, end, publish, startHub, subscribe, waitFor } from '../helpers/hub.js';

const topic = 'ourhome/frontdoor/lock/set';

/** CONNECT and a PUBLISH of more than 64 KiB in one write: the PUBLISH completes in a second read of the socket. */
function pipelined(port: number, clientId: string, username: string, password: string, qos: 0 | 1 | 2): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(Buffer.concat([
      mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60, username, password: Buffer.from(password) } as never),
      mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.alloc(100_000, 0x55), qos, messageId: qos ? 7 : undefined, retain: false, dup: false } as never),
    ]));
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, 100);
  });
}

/**
 * Found by the MQTT fuzz: aedes 1.2 handled a packet completed by a second read of the socket while the CONNECT
 * before it was still being authenticated. With a wrong password, 14 of 20 such PUBLISHes reached subscribers of
 * a lock's command topic (and a QoS 2 one was stored with no client id, failing other clients' commits). The broker
 * now pauses the client as soon as CONNECT arrives and refuses any PUBLISH or SUBSCRIBE without a login.
 */
test('a PUBLISH right behind a CONNECT with a wrong password is never delivered; with the right one it is, once logged in', async (t) => {
  const hub = await startHub({ mqtt: { loginFailures: 1_000_000 } as never });
  t.after(() => hub.stop());
  const port = Number(new URL(hub.mqttUrl).port);
  const listener = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(listener));
  await subscribe(listener, 'ourhome/#', 0);
  let delivered = 0;
  listener.on('message', (t2) => t2 === topic && delivered++);

  for (let i = 0; i < 30; i++) await pipelined(port, `intruder-${i}`, 'nobody', 'wrong', (i % 3) as 0 | 1 | 2);
  // Every intruder's login decided (on a busy machine the checks queue behind each other), then a marker: all
  // that could have been routed before it was.
  await waitFor(() => hub.hub.broker.counters.refusedLogins >= 30, 15_000, 'all 30 logins refused');
  await publish(listener, 'ourhome/check/after/intruders', 'x', { qos: 1 });
  assert.equal(delivered, 0, 'no unauthenticated PUBLISH reached a subscriber');

  for (let i = 0; i < 30; i++) await pipelined(port, `pipelining-${i}`, 'admin', 'test-admin-password', (i % 3) as 0 | 1 | 2);
  await waitFor(() => delivered === 30, 5000, 'the 30 PUBLISHes of a client that logged in');
});
