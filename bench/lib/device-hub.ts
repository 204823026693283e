// Helpers shared by the devices benchmarks (bench/devices.ts, bench/devices-acl.ts): a template data dir, a fresh
// hub on a copy of it, and what the registry says.
import fs from 'node:fs';
import { HubApi } from './hub-api.js';
import { prepareRumahData, RUMAH_YAML, startRumah, tempDir, type Rumah } from './procs.js';

/** Every simulated device connects from 127.0.0.1: one address, so its connection limit is raised with the device cap. */
export const HUB_YAML = `${RUMAH_YAML}mqtt:\n  connectionsPerAddress: 5000\n`;

interface HubDevice {
  id: string;
  availability: string;
  owner?: string;
}

export interface Template {
  dir: string;
  creds: { username: string; password: string };
}

/** A data dir made once (rumah.yaml and the shared device account, by the CLI) and copied for every hub. */
export async function makeTemplate(): Promise<Template> {
  const dir = tempDir('devices-template');
  return { dir, creds: await prepareRumahData(dir, HUB_YAML) };
}

/** A hub on a fresh copy of the template: empty registry, the shared device account. */
export async function freshHub(name: string, template: Template): Promise<{ hub: Rumah; creds: { username: string; password: string }; api: HubApi }> {
  const dataDir = tempDir(name);
  fs.cpSync(template.dir, dataDir, { recursive: true });
  const creds = template.creds;
  const hub = await startRumah({ dataDir, removeData: true }, creds);
  try {
    return { hub, creds, api: await HubApi.login(hub.httpPort, hub.subscriber!) };
  } catch (err) {
    await hub.stop();
    throw err;
  }
}

/** From /metrics: polling GET /api/devices (1,000 devices, ~1 MB of JSON) ten times a second cost the hub a core's tenth. */
export async function devicesOnline(hub: Rumah): Promise<{ registered: number; online: number }> {
  const m = await hub.metrics();
  return { registered: m.rumah_devices ?? 0, online: m.rumah_devices_online ?? 0 };
}

export const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

/** Runs `fn` on every item, at most `n` at a time. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Bench-process CPU (the simulator's 1,000 clients run here), ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

