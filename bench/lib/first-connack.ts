import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RawClient } from './raw-client.js';
import { hubNodeFlags } from '../../server/node-flags.js';
import { distRoot, freePort, HOST, mainJs, sleep, stopChild, track } from './procs.js';

// exec → first CONNACK: what a device waiting for the hub after a power cut sees. The port is chosen before the
// spawn, and a real CONNECT (with valid credentials) is retried every few ms while the port refuses.

const RETRY_MS = 2;
const GIVE_UP_MS = 30_000;

export interface Started {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Spawn to the first CONNACK (return code 0), ms. */
  connackMs: number;
  /** Spawn to `readyFile` written (rumah: runtime.json, once every listener is up), ms. */
  readyMs?: number;
  stop(): Promise<void>;
}

async function firstConnack(child: ChildProcess, port: number, creds: { username?: string; password?: string }, t0: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before its first CONNACK`);
    if (performance.now() - t0 > GIVE_UP_MS) throw new Error(`no CONNACK within ${GIVE_UP_MS} ms`);
    try {
      const client = await RawClient.connect({ host: HOST, port, clientId: `bench-first-connack-${attempt}`, ...creds, timeoutMs: GIVE_UP_MS });
      const ms = performance.now() - t0;
      await client.close();
      return ms;
    } catch (err) {
      if (!/ECONNREFUSED/.test((err as Error).message)) throw err;
      await sleep(RETRY_MS);
    }
  }
}

/** Polls for a file from t0 on; resolves with the ms it took to appear (NaN if it did not within GIVE_UP_MS). */
async function appeared(file: string, t0: number, alive: () => boolean): Promise<number> {
  while (alive() && performance.now() - t0 < GIVE_UP_MS) {
    if (fs.existsSync(file)) return performance.now() - t0;
    await sleep(RETRY_MS);
  }
  return NaN;
}

async function startTimed(args: string[], env: NodeJS.ProcessEnv, port: number, creds: { username?: string; password?: string }, readyFile?: string): Promise<Started> {
  if (readyFile) fs.rmSync(readyFile, { force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  try {
    const ready = readyFile ? appeared(readyFile, t0, () => child.exitCode === null && child.signalCode === null) : undefined;
    const connackMs = await firstConnack(child, port, creds, t0);
    const readyMs = await ready;
    return { child, pid: child.pid!, port, connackMs, readyMs, stop: async () => void (await stopChild(child, 8000)) };
  } catch (err) {
    await stopChild(child, 1000);
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
}

/**
 * `node <hub flags> dist/server/main.js` as startRumah runs it, but on a port chosen here, timed to its first CONNACK. `main`: another
 * build's entry (e.g. /work/main/dist/server/main.js), to compare two builds by hand in one run.
 */
export async function startRumahTimed(dataDir: string, creds: { username: string; password: string }, main = mainJs): Promise<Started> {
  const port = await freePort();
  return startTimed(
    [...hubNodeFlags, main, '--data', dataDir, '--mqtt-port', String(port), '--http-port', '0', '--bind', HOST, '--log-level', 'warn'],
    { ...process.env, RUMAH_ADMIN_PASSWORD: 'bench-admin-password' }, port, creds, path.join(dataDir, 'runtime.json'),
  );
}

/** The reference: bench/servers/aedes.ts (bare aedes, in-memory, no hooks), on a port chosen here. */
export async function startAedesTimed(): Promise<Started> {
  const port = await freePort();
  return startTimed([path.join(distRoot, 'bench/servers/aedes.js')], { ...process.env, BENCH_PORT: String(port) }, port, {});
}

/** Opens `count` idle connections, 100 at a time, each CONNECTed (CONNACK received); the caller closes them. */
export async function openIdle(port: number, count: number, creds: { username?: string; password?: string }): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, k) =>
      RawClient.connect({ host: HOST, port, clientId: `bench-idle-${i + k}`, ...creds, timeoutMs: 30_000 })));
    clients.push(...opened);
  }
  return clients;
}
