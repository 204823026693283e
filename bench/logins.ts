// Reconnect storms (issue 19, item 1): many clients logging in with one credential at once (an app fleet, a load
// test, a bridge that reconnects), then the same with a device account, against rumah and against mosquitto with a
// password file (its PBKDF2-SHA512 hashes), in the same run. Raw CONNECT/CONNACK over TCP: the client side costs
// next to nothing, so the figure is the broker's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqttPacket from 'mqtt-packet';
import { freePort, HOST, mosquittoPath, prepareRumahData, startRumah, stopChild, tempDir, track, waitForPort } from './lib/procs.js';
import type { BenchResult, Figure } from './lib/report.js';

const CLIENTS = 5000;
const CONCURRENCY = 500;
const TIME_LIMIT_MS = 60_000;

interface Storm {
  connected: number;
  refused: number;
  perSecond: number;
}

/** Opens `count` connections with one credential, `CONCURRENCY` at a time, all kept open until the end. */
async function storm(port: number, username: string, password: string, count = CLIENTS): Promise<Storm> {
  const sockets: net.Socket[] = [];
  let connected = 0;
  let refused = 0;
  let next = 0;
  const started = performance.now();
  const deadline = Date.now() + TIME_LIMIT_MS;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect(port, HOST);
      sockets.push(socket);
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const timer = setTimeout(() => (refused++, resolve()), Math.max(1, deadline - Date.now()));
      parser.on('packet', (p: { cmd: string; returnCode?: number }) => {
        if (p.cmd !== 'connack') return;
        clearTimeout(timer);
        if (p.returnCode === 0) connected++;
        else refused++;
        resolve();
      });
      socket.on('data', (d) => parser.parse(d));
      socket.on('error', () => undefined);
      socket.on('close', () => (clearTimeout(timer), resolve()));
      socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `storm-${i}`, clean: true, keepalive: 120, username, password: Buffer.from(password) }));
    });
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) await one(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  for (const s of sockets) s.destroy();
  return { connected, refused, perSecond: connected / seconds };
}

async function mosquittoWithPasswords(bin: string, username: string, password: string): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = tempDir('mosquitto-logins');
  const port = await freePort();
  const passwords = path.join(dir, 'passwd');
  fs.writeFileSync(passwords, '');
  const made = spawn('mosquitto_passwd', ['-b', passwords, username, password], { stdio: 'ignore' });
  await new Promise((resolve) => made.once('exit', resolve));
  // mosquitto started as root drops to its own user before it reads the password file.
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(passwords, 0o644);
  fs.writeFileSync(path.join(dir, 'mosquitto.conf'), [`listener ${port} ${HOST}`, 'allow_anonymous false', `password_file ${passwords}`, 'persistence false', 'log_dest none', ''].join('\n'));
  const child = spawn(bin, ['-c', path.join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  track(child);
  await waitForPort(port, 5000, () => child.exitCode === null);
  return { port, stop: async () => void (await stopChild(child), fs.rmSync(dir, { recursive: true, force: true })) };
}

export async function benchLogins(): Promise<BenchResult> {
  const dataDir = tempDir('rumah-logins');
  const device = await prepareRumahData(dataDir, `mqtt:\n  connectionsPerAddress: 20000\n  maxPendingLogins: 20000\n`, 'storm-device');
  const hub = await startRumah({ dataDir, removeData: true }, device);
  const figures: Figure[] = [];
  const notes = [`${CLIENTS.toLocaleString('en-US')} TCP connections, ${CONCURRENCY} CONNECTs outstanding at a time, each kept open; raw CONNECT/CONNACK (MQTT 3.1.1).`];
  try {
    const admin = await storm(hub.port, 'admin', 'bench-admin-password');
    const dev = await storm(hub.port, device.username, device.password);
    const bin = mosquittoPath();
    const refs: Record<string, number> = {};
    if (bin) {
      const mosq = await mosquittoWithPasswords(bin, 'storm', 'storm-password-0123456789');
      try {
        refs.mosquitto = (await storm(mosq.port, 'storm', 'storm-password-0123456789')).perSecond;
      } finally {
        await mosq.stop();
      }
    } else notes.push('mosquitto not installed: no reference.');
    figures.push(
      { label: 'one admin credential: connects/s', unit: '/s', value: admin.perSecond, refs, target: { text: `≥ 5,000/s, all ${CLIENTS} connected`, met: admin.perSecond >= 5000 && admin.connected === CLIENTS }, note: `${admin.connected} connected, ${admin.refused} refused` },
      { label: 'one device credential: connects/s', unit: '/s', value: dev.perSecond, refs, target: { text: `≥ 5,000/s, all ${CLIENTS} connected`, met: dev.perSecond >= 5000 && dev.connected === CLIENTS }, note: `${dev.connected} connected, ${dev.refused} refused` },
    );
  } finally {
    await hub.stop();
  }
  return { id: 'logins', title: 'Reconnect storm: many logins with one credential (bench/logins.ts)', figures, notes };
}
