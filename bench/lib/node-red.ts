import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sensorTopic, reactionTopic } from './reaction-load.js';
import { HOST, sleep, stopChild, tempDir, track, untrack, type Server } from './procs.js';

// Node-RED as a reference (bench/rules-nodered.ts): not a dependency of rumah. Installed on first use from the npm
// registry into a cache folder outside the repository (~/.cache/rumah-bench/node-red-<version>, or
// $RUMAH_BENCH_CACHE), then run as its own process with a flow of `mqtt in` → `mqtt out` pairs.

export const NODE_RED_VERSION = '4.1.8';

const INSTALL_TIMEOUT_MS = 5 * 60_000;

function cacheRoot(): string {
  return process.env.RUMAH_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'rumah-bench');
}

/** node-red's red.js in the cache; installed first if it is not there. A reason instead when it cannot be installed. */
export async function ensureNodeRed(log: (line: string) => void): Promise<{ redJs: string } | { skipped: string }> {
  const dir = path.join(cacheRoot(), `node-red-${NODE_RED_VERSION}`);
  const redJs = path.join(dir, 'node_modules', 'node-red', 'red.js');
  if (installedVersion(dir) === NODE_RED_VERSION && fs.existsSync(redJs)) return { redJs };
  // Installed beside the final folder and renamed into place once complete: an interrupted install is never used.
  fs.mkdirSync(cacheRoot(), { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial);
  const args = ['install', '--prefix', partial, '--no-audit', '--no-fund', '--loglevel=error', `node-red@${NODE_RED_VERSION}`];
  log(`  installing Node-RED ${NODE_RED_VERSION} (first use) into ${dir}: npm ${args.join(' ')}`);
  const started = performance.now();
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('npm', args, { cwd: partial, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let output = '';
    const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), INSTALL_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      untrack(child);
      resolve({ code: null, output: String(err) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      untrack(child);
      resolve({ code, output });
    });
  });
  if (result.code !== 0 || installedVersion(partial) !== NODE_RED_VERSION) {
    fs.rmSync(partial, { recursive: true, force: true });
    // npm's first lines say what failed (`npm error code ECONNREFUSED`, the request and its reason); the rest is advice.
    const lines = result.output.split('\n').map((l) => l.trim()).filter((l) => /\b(code|reason|Error:)/.test(l));
    const why = (lines.length ? lines.slice(0, 3) : [result.output.trim().split('\n')[0] ?? '']).join(' / ') || `npm exited with ${result.code}`;
    return { skipped: `Node-RED ${NODE_RED_VERSION} could not be installed (no network?): ${why}` };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  log(`  Node-RED ${NODE_RED_VERSION} installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { redJs };
}

function installedVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'node-red', 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * `topics` pairs of `mqtt in` (sensorTopic(i), QoS 0, the payload as a UTF-8 string) → `mqtt out` (reactionTopic(i),
 * QoS 0, not retained), all on one mqtt-broker config node (one connection, as a Node-RED install has).
 */
export function reactionFlow(topics: number, brokerPort: number): unknown[] {
  const flow: unknown[] = [
    { id: 'bench-tab', type: 'tab', label: 'bench', disabled: false, info: '' },
    {
      id: 'bench-broker', type: 'mqtt-broker', name: 'mosquitto', broker: HOST, port: String(brokerPort), clientid: 'bench-node-red',
      autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, autoUnsubscribe: true,
      birthTopic: '', closeTopic: '', willTopic: '',
    },
  ];
  for (let i = 0; i < topics; i++) {
    const y = 40 + i * 40;
    flow.push(
      { id: `in-${i}`, type: 'mqtt in', z: 'bench-tab', name: '', topic: sensorTopic(i), qos: '0', datatype: 'utf8', broker: 'bench-broker', nl: false, rap: true, rh: 0, inputs: 0, x: 120, y, wires: [[`out-${i}`]] },
      { id: `out-${i}`, type: 'mqtt out', z: 'bench-tab', name: '', topic: reactionTopic(i), qos: '0', retain: 'false', respTopic: '', contentType: '', userProps: '', correl: '', expiry: '', broker: 'bench-broker', x: 360, y, wires: [] },
    );
  }
  return flow;
}

/**
 * Node-RED in its own process with `flow`, its user dir in a temp dir (removed at stop), headless: no editor, no
 * admin API, no HTTP listener at all (httpAdminRoot and httpNodeRoot false), no diagnostics or telemetry.
 * Resolves once it logs that its flows started (its MQTT subscriptions may still be on their way: warm up first).
 */
export async function startNodeRed(redJs: string, flow: unknown[]): Promise<Server> {
  const userDir = tempDir('node-red');
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  const settings = {
    // English log lines whatever the machine's locale: "Started flows" is what this waits for.
    lang: 'en-US', flowFile: 'flows.json', userDir, uiHost: HOST, httpAdminRoot: false, httpNodeRoot: false, disableEditor: true, credentialSecret: false,
    diagnostics: { enabled: false, ui: false }, runtimeState: { enabled: false, ui: false }, telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', settingsFile], { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-16_384));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    await stopChild(child, 5000);
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!out.includes('Started flows')) {
    if (!alive() || Date.now() > deadline) {
      const why = alive() ? 'did not start its flows within 60 s' : `exited (${child.exitCode ?? child.signalCode})`;
      await stop();
      throw new Error(`Node-RED ${why}\n${out}`);
    }
    await sleep(20);
  }
  return { name: `Node-RED ${NODE_RED_VERSION}`, port: 0, pid: child.pid!, child, alive, output: () => out, stop };
}
