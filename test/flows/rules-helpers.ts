// A real hub for rules flows: the broker, the database and the HTTP API are real; the rules engine's clock is a
// ManualClock the test moves forward (so `for: 5m` takes no five minutes). Rule files can be put in place before
// the start, as a user would.

import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { Hub, type HubOptions } from '../../server/hub.js';
import { defaults, type Config } from '../../server/config/schema.js';
import { ManualClock } from '../../rules/engine/clock.js';
import { adminPassword, tempDir } from '../helpers/hub.js';

export interface RulesHub {
  hub: Hub;
  clock: ManualClock;
  dataDir: string;
  rulesDir: string;
  mqttUrl: string;
  httpUrl: string;
  stop(): Promise<void>;
}

export interface RulesHubOptions {
  clock?: ManualClock;
  dataDir?: string;
  keepData?: boolean;
  /** Files written to <data>/rules before the start. */
  files?: Record<string, string>;
  location?: Config['location'];
  rules?: HubOptions['rules'];
}

export async function startRulesHub(opts: RulesHubOptions = {}): Promise<RulesHub> {
  const dataDir = opts.dataDir ?? tempDir('rumah-rules-');
  const rulesDir = path.join(dataDir, 'rules');
  fs.mkdirSync(rulesDir, { recursive: true });
  for (const [file, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(rulesDir, file), text);
  const clock = opts.clock ?? new ManualClock();
  const config: Config = {
    ...defaults,
    dataDir,
    bind: '127.0.0.1',
    log: { level: (process.env.RUMAH_TEST_LOG as Config['log']['level']) ?? 'silent' },
    mqtt: { ...defaults.mqtt, port: 0 },
    http: { ...defaults.http, port: 0 },
    ...(opts.location ? { location: opts.location } : {}),
  };
  const hub = new Hub({
    config, log: pino({ level: config.log.level }), adminPassword, clock, now: () => clock.now(),
    rules: { watchDebounceMs: 50, traceFlushMs: 100, ...opts.rules },
  });
  const runtime = await hub.start();
  return {
    hub, clock, dataDir, rulesDir,
    mqttUrl: `mqtt://127.0.0.1:${runtime.mqttPort}`,
    httpUrl: `http://127.0.0.1:${runtime.httpPort}`,
    async stop() {
      await hub.stop();
      if (!opts.keepData && !opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Http {
  get(p: string): Promise<{ status: number; body: any }>;
  post(p: string, body?: unknown): Promise<{ status: number; body: any }>;
  put(p: string, body?: unknown): Promise<{ status: number; body: any }>;
  delete(p: string): Promise<{ status: number; body: any }>;
}

/** An HTTP client logged in as `username` (the admin by default), with every method the rules API uses. */
export async function login(httpUrl: string, username = 'admin', password = adminPassword): Promise<Http> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${httpUrl}${p}`, {
      method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: r.status, body: parsed as any };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b ?? {}), put: (p, b) => call('PUT', p, b), delete: (p) => call('DELETE', p) };
}

export function examples(name: string): string {
  // dist/test/flows → repository root
  return fs.readFileSync(new URL(`../../../rules/examples/${name}`, import.meta.url), 'utf8');
}

/** Traces of a rule, newest first, straight from the engine. */
export function traces(h: RulesHub, ruleId: string) {
  return h.hub.rules.recorder.list(ruleId);
}

/** MQTT credentials for a device account (as `npm run rumah -- devices add NAME` makes them). */
export async function account(h: RulesHub, username: string): Promise<{ username: string; password: string }> {
  return { username, password: await h.hub.store.accounts.create(username, 'device') };
}

/** An MQTT client account that may read everything (a dashboard, a phone app following the house). */
export async function observer(h: RulesHub, username: string): Promise<{ username: string; password: string }> {
  return { username, password: await h.hub.store.accounts.create(username, 'admin') };
}
