// The flood of bench/fair-share.ts, in its own process so that it takes none of the probe's event loop: one device
// account, N raw connections, each writing QoS 0 PUBLISHes of a 50-property JSON (every property new each time: 50
// state changes a message) as fast as its socket takes them, for a given time. Prints what it wrote as JSON.
//
// usage: node dist/bench/fair-share-flooder.js <port> <username> <password> <connections> <ms>

import net from 'node:net';
import mqttPacket from 'mqtt-packet';

const [port, username, password, connections, ms] = process.argv.slice(2) as [string, string, string, string, string];
const PROPERTIES = 50;
const PER_WRITE = 200;

function batch(conn: number, round: number): Buffer {
  return Buffer.concat(Array.from({ length: PER_WRITE }, (_, i) => {
    const n = round * PER_WRITE + i;
    const payload = `{${Array.from({ length: PROPERTIES }, (_, p) => `"p${p}":${n + p}`).join(',')}}`;
    return mqttPacket.generate({ cmd: 'publish', topic: `ourhome/flood/room${conn % 10}/sensor${conn}`, payload: Buffer.from(payload), qos: 0, retain: false, dup: false } as never);
  }));
}

async function flood(conn: number, stopAt: number): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port: Number(port), noDelay: true });
  socket.on('error', () => undefined);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `flooder-${conn}`, keepalive: 60, username, password: Buffer.from(password) } as never));
  await new Promise((resolve) => socket.once('data', resolve));
  let written = 0;
  let round = 0;
  // Two batches alternated: new values, without encoding during the flood.
  const batches = [batch(conn, 0), batch(conn, 1)];
  while (Date.now() < stopAt && !socket.destroyed) {
    const ok = socket.write(batches[round++ % 2]!);
    written += PER_WRITE;
    if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => setTimeout(r, Math.max(0, stopAt - Date.now())))]);
  }
  socket.destroy();
  return written;
}

const stopAt = Date.now() + Number(ms);
const written = await Promise.all(Array.from({ length: Number(connections) }, (_, n) => flood(n, stopAt)));
process.stdout.write(JSON.stringify({ written: written.reduce((a, b) => a + b, 0) }) + '\n');
