import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { admin, mqttUrlOf, withHub } from '../helpers/crash.js';

// A power cut brings every device of a house back at once. While the hub is busy (here: stopped with SIGSTOP, so it
// accepts nothing), the kernel must hold their connections in the listening socket's queue (listeners.ts,
// acceptBacklog); with Node's default of 511 the rest had their SYN dropped and tried again a second or more later.

const CLIENTS = 1500;

test('1,500 devices connecting while the hub accepts nothing all find a place in its accept queue', async (t) => {
  // Linux's cap on every listen queue; elsewhere (no /proc) the kernel's rules differ and this is not checked.
  const somaxconn = fs.existsSync('/proc/sys/net/core/somaxconn') ? Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8')) : NaN;
  if (!(somaxconn >= CLIENTS)) return t.skip(`net.core.somaxconn is ${somaxconn}: the kernel caps every listen queue below ${CLIENTS}`);
  const { dataDir, start } = withHub(t);
  // All from 127.0.0.1: the per-address bound (its own tests) would refuse the last ones, and the device after them.
  fs.writeFileSync(path.join(dataDir, 'rumah.yaml'), `mqtt:\n  connectionsPerAddress: ${CLIENTS + 10}\n`);
  const hub = await start();
  const sockets: net.Socket[] = [];
  hub.child.kill('SIGSTOP');
  t.after(() => {
    hub.child.kill('SIGCONT');
    for (const s of sockets) s.destroy();
  });
  let established = 0;
  for (let i = 0; i < CLIENTS; i++) {
    const s = net.connect(hub.runtime.mqttPort, '127.0.0.1');
    s.on('error', () => undefined);
    s.once('connect', () => established++);
    sockets.push(s);
  }
  // The handshake is the kernel's: it completes at once for a connection the queue holds. One that found the queue
  // full has its SYN dropped, and so has every retry (1 s, 3 s, ...) while the hub accepts nothing: any wait tells
  // the two apart, and a slow machine gets 5 s to run the connect callbacks.
  for (let waited = 0; established < CLIENTS && waited < 5000; waited += 50) await sleep(50);
  assert.equal(established, CLIENTS, `${established} of ${CLIENTS} connections were established while the hub was stopped`);
  hub.child.kill('SIGCONT');
  // And it serves a device again once it runs, with 1,500 silent connections in its queue.
  const client = await mqtt.connectAsync(mqttUrlOf(hub), { ...admin, reconnectPeriod: 0, connectTimeout: 20_000 });
  await client.endAsync();
});
