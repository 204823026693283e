import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { hubNodeFlags } from '../../server/node-flags.js';

// Every process the benchmark starts: on 127.0.0.1 only, on ports the OS picks, stopped by its own pid.

export const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = path.resolve(distRoot, '..');
export const mainJs = path.join(distRoot, 'server/main.js');
/** The hub as `npm start` and the systemd unit run it: the bundle of dist/server (scripts/build-server.mjs). */
export const bundleJs = path.join(distRoot, 'server/bundle/main.js');

/**
 * Bundles dist/server again (about a second), so that a bench timing the bundle times the code tsc just built: a
 * `npx tsc` alone leaves an older bundle behind.
 */
export function rebundle(): void {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-server.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`scripts/build-server.mjs failed (${built.status ?? built.signal})`);
}
const cliJs = path.join(distRoot, 'server/cli/main.js');
export const HOST = '127.0.0.1';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  live.add(child);
}
export function untrack(child: ChildProcess): void {
  live.delete(child);
}

/** Last resort at exit (crash, Ctrl-C): SIGKILL each child we started that is still running, by its pid. */
export function killStarted(): void {
  for (const child of live) {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  live.clear();
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rumah-bench-${prefix}-`));
}

/** SIGTERM to the child's pid; SIGKILL if it has not exited after `ms`. */
export function stopChild(child: ChildProcess, ms = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) {
      untrack(child);
      return resolve({ code: child.exitCode, signal: child.signalCode });
    }
    const pid = child.pid;
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      untrack(child);
      resolve({ code, signal });
    });
    process.kill(pid, 'SIGTERM');
  });
}

/** A port that was free a moment ago (for mosquitto, which cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, ms: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, HOST);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`process exited before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${HOST}:${port} after ${ms} ms`);
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size of a process (Linux /proc), bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system) a process has used so far, all threads (Linux /proc), ms; NaN once it is gone. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of a process's main thread only (the event loop; not libuv's pool, where SQLite runs, nor GC helpers). */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(file: string): number {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export interface Server {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Credentials of the publishers (a device account) and of the subscriber, when the broker wants them. */
  username?: string;
  password?: string;
  subscriber?: { username: string; password: string };
  alive(): boolean;
  /** Work it still owes for what it has received (rumah: state changes not yet written to history). */
  backlog?(): Promise<number>;
  /** The last of what it wrote on stdout/stderr. */
  output(): string;
  stop(): Promise<void>;
}

function captureOutput(child: ChildProcess): () => string {
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function mosquittoPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v mosquitto || { test -x /usr/sbin/mosquitto && echo /usr/sbin/mosquitto; }'], { encoding: 'utf8' });
  return found.stdout.trim().split('\n')[0] || undefined;
}

export function mosquittoVersion(bin: string): string {
  const out = spawnSync(bin, ['-h'], { encoding: 'utf8' });
  return /mosquitto version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? '?';
}

/**
 * Debian's mosquitto on a free loopback port, from a config file in a temp dir. Its defaults for QoS 1 delivery
 * (20 messages in flight and 1,000 queued per client, the rest dropped) would turn a fast fan-in into loss;
 * they are raised so that mosquitto, like aedes, is limited by its speed, not by a queue length.
 */
export async function startMosquitto(bin: string): Promise<Server> {
  const dir = tempDir('mosquitto');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [`listener ${port} ${HOST}`, 'allow_anonymous true', 'persistence false', 'max_inflight_messages 1000', 'max_queued_messages 1000000',
      'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const output = captureOutput(child);
  await waitForPort(port, 5000, () => isAlive(child)).catch((err: Error) => {
    throw new Error(`mosquitto did not start: ${err.message}\n${output()}`);
  });
  return {
    name: 'mosquitto', port, pid: child.pid!, child, output, alive: () => isAlive(child),
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A node script of ours that listens on port 0 and sends `{port}` over IPC (the bare aedes broker, the sink). */
export async function startNodeServer(name: string, script: string, nodeArgs: string[] = []): Promise<Server> {
  const child = fork(path.join(distRoot, 'bench/servers', script), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: nodeArgs });
  track(child);
  const output = captureOutput(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 10 s\n${output()}`)), 10_000);
    child.once('message', (msg: { port: number }) => {
      clearTimeout(timer);
      resolve(msg.port);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening\n${output()}`)));
  });
  return { name, port, pid: child.pid!, child, output, alive: () => isAlive(child), stop: async () => void (await stopChild(child)) };
}

export interface Rumah extends Server {
  dataDir: string;
  httpPort: number;
  /** Spawn to runtime.json written (all listeners up), ms. */
  startMs: number;
  metrics(): Promise<Record<string, number>>;
}

export interface RumahOptions {
  dataDir: string;
  /** Extra node flags (--cpu-prof...). */
  nodeArgs?: string[];
  /** Remove the data dir at stop. */
  removeData?: boolean;
  /** --log-level (default warn); `info` shows e.g. how long loading broker.db took. */
  logLevel?: string;
}

/** Writes `<data>/rumah.yaml` (the benchmark's overrides) and creates a device account with the CLI. */
export async function prepareRumahData(dataDir: string, yaml: string, account = 'bench-devices'): Promise<{ username: string; password: string }> {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'rumah.yaml'), yaml);
  const out = await runNode(cliJs, ['devices', 'add', account, '--json', '--data', dataDir]);
  if (out.code !== 0) throw new Error(`rumah devices add failed (${out.code}): ${out.stderr}`);
  return JSON.parse(out.stdout) as { username: string; password: string };
}

const ADMIN_PASSWORD = 'bench-admin-password';

export const RUMAH_YAML = 'devices:\n  maxPerAccount: 5000\n';

/**
 * The load generators put many simulated devices on one account (100 fan-in clients, 1,000 devices): the per-account
 * publish budget (mqtt.accountPublishRate, 200 units/s) would measure itself. Set out of reach in every benchmark's
 * hub unless its rumah.yaml sets it; bench/fair-share.ts measures the budgets themselves.
 */
export const BENCH_BUDGETS = { accountPublishRate: 1e9, accountPublishBurst: 1e9, addressPublishRate: 1e9, addressPublishBurst: 1e9, adminPublishRate: 1e9, adminPublishBurst: 1e9 } as const;

function raiseBudgets(dataDir: string): void {
  const file = path.join(dataDir, 'rumah.yaml');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const doc = YAML.parseDocument(text.trim() ? text : '{}');
  for (const [key, value] of Object.entries(BENCH_BUDGETS)) if (!doc.hasIn(['mqtt', key])) doc.setIn(['mqtt', key], value);
  fs.writeFileSync(file, String(doc));
}

/** RUMAH_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profile the hub a benchmark starts (NODE_OPTIONS may not carry --cpu-prof). */
function benchNodeArgs(): string[] {
  return process.env.RUMAH_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}

/** `node <hub flags> dist/server/main.js` as `npm start` runs it, on ports 0; resolves once it has written runtime.json. */
export async function startRumah(opts: RumahOptions, creds?: { username: string; password: string }): Promise<Rumah> {
  raiseBudgets(opts.dataDir);
  const runtimeFile = path.join(opts.dataDir, 'runtime.json');
  fs.rmSync(runtimeFile, { force: true });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...hubNodeFlags, ...(opts.nodeArgs ?? benchNodeArgs()), mainJs, '--data', opts.dataDir, '--mqtt-port', '0', '--http-port', '0', '--bind', HOST, '--log-level', opts.logLevel ?? 'warn'],
    { env: { ...process.env, RUMAH_ADMIN_PASSWORD: ADMIN_PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  track(child);
  const output = captureOutput(child);
  let runtime: { mqttPort: number; httpPort: number } | undefined;
  const deadline = Date.now() + 30_000;
  while (!runtime) {
    if (!isAlive(child)) throw new Error(`rumah exited (${child.exitCode}) before listening\n${output()}`);
    if (Date.now() > deadline) {
      await stopChild(child, 1000);
      throw new Error(`rumah did not write runtime.json within 30 s\n${output()}`);
    }
    try {
      runtime = JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as { mqttPort: number; httpPort: number };
    } catch {
      await sleep(2);
    }
  }
  const startMs = performance.now() - t0;
  const httpPort = runtime.httpPort;
  return {
    name: 'rumah', port: runtime.mqttPort, httpPort, pid: child.pid!, child, output, alive: () => isAlive(child), startMs,
    dataDir: opts.dataDir, username: creds?.username, password: creds?.password,
    // Device accounts may subscribe only to their command topics (device ACL); following the whole house is what
    // the admin (dashboard) account does.
    subscriber: { username: 'admin', password: ADMIN_PASSWORD },
    metrics: () => fetchMetrics(httpPort),
    backlog: async () => (await fetchMetrics(httpPort)).rumah_history_queue_depth ?? 0,
    stop: async () => {
      const { code, signal } = await stopChild(child, 8000);
      if (code !== 0 && signal !== null) process.stderr.write(`rumah stopped with ${signal}\n`);
      if (opts.removeData) fs.rmSync(opts.dataDir, { recursive: true, force: true });
    },
  };
}

/** Session cookies by web port: /metrics needs a login, made once per hub rather than once per poll. */
const sessions = new Map<number, string>();

async function adminCookie(httpPort: number): Promise<string> {
  const known = sessions.get(httpPort);
  if (known) return known;
  const res = await fetch(`http://${HOST}:${httpPort}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 200 || !cookie) throw new Error(`bench: admin login failed (${res.status}): ${await res.text()}`);
  sessions.set(httpPort, cookie);
  return cookie;
}

async function fetchMetrics(httpPort: number): Promise<Record<string, number>> {
  const get = async (): Promise<Response> => fetch(`http://${HOST}:${httpPort}/metrics`, { headers: { cookie: await adminCookie(httpPort) } });
  let res = await get();
  // Another hub may have been given the same port since (each start asks for port 0): log in to this one.
  if (res.status === 401) {
    sessions.delete(httpPort);
    res = await get();
  }
  if (res.status !== 200) throw new Error(`bench: GET /metrics answered ${res.status}: ${await res.text()}`);
  const text = await res.text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, value] = line.split(' ');
    if (name && value !== undefined) out[name] = Number(value);
  }
  return out;
}

export function runNode(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      untrack(child);
      resolve({ code, stdout, stderr });
    });
  });
}
