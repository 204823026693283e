import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { Hub } from '../../server/hub.js';
import { defaults, type Config } from '../../server/config/schema.js';

export const adminPassword = 'test-admin-password';

export interface TestHub {
  hub: Hub;
  dataDir: string;
  mqttUrl: string;
  httpUrl: string;
  stop(): Promise<void>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function tempDir(prefix = 'rumah-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real hub on 127.0.0.1, ports picked by the OS, data in a temp dir (removed at stop unless `keepData`). */
export async function startHub(overrides: DeepPartial<Config> = {}, opts: { dataDir?: string; keepData?: boolean; brokerStoreMaxPages?: number } = {}): Promise<TestHub> {
  const dataDir = opts.dataDir ?? tempDir();
  const config: Config = {
    ...defaults,
    ...overrides,
    dataDir,
    bind: '127.0.0.1',
    log: { level: (process.env.RUMAH_TEST_LOG as Config['log']['level']) ?? 'silent' },
    mqtt: { ...defaults.mqtt, port: 0, ...overrides.mqtt } as Config['mqtt'],
    http: { ...defaults.http, ...overrides.http, port: 0 } as Config['http'],
    tls: { ...defaults.tls, ...overrides.tls } as Config['tls'],
    devices: { ...defaults.devices, ...overrides.devices },
    history: { ...defaults.history, ...overrides.history },
    logbook: { ...defaults.logbook, ...overrides.logbook },
    mqttsn: { ...defaults.mqttsn, ...overrides.mqttsn } as Config['mqttsn'],
    backup: { ...defaults.backup, ...overrides.backup },
    bridges: (overrides.bridges ?? defaults.bridges) as Config['bridges'],
    exports: Object.fromEntries(Object.entries(defaults.exports).map(([k, v]) => [k, { ...v, ...(overrides.exports as Record<string, object> | undefined)?.[k] }])) as Config['exports'],
  };
  const log = pino({ level: config.log.level });
  const hub = new Hub({ config, log, adminPassword, brokerStoreMaxPages: opts.brokerStoreMaxPages });
  const runtime = await hub.start();
  return {
    hub,
    dataDir,
    mqttUrl: `mqtt://127.0.0.1:${runtime.mqttPort}`,
    httpUrl: `http://127.0.0.1:${runtime.httpPort}`,
    async stop() {
      await hub.stop();
      if (!opts.keepData && !opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A device account, created through the store the CLI uses. */
export async function deviceAccount(t: TestHub, username = `dev-${Math.random().toString(36).slice(2, 8)}`): Promise<{ username: string; password: string }> {
  const password = await t.hub.store.accounts.create(username, 'device');
  return { username, password };
}

/** Connects, keeping every message from the first (a queued one can arrive with the CONNACK). */
export async function connectKeeping(url: string, opts: IClientOptions): Promise<{ client: MqttClient; got: string[] }> {
  const got: string[] = [];
  const client = await connect(url, opts, (c) => c.on('message', (_topic, payload) => got.push(payload.toString())));
  return { client, got };
}

/** A real MQTT.js client; resolves once connected, rejects on a refused CONNECT. */
export function connect(url: string, opts: IClientOptions = {}, before?: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    before?.(client);
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve())));
}

export function subscribe(client: MqttClient, filter: string, qos: 0 | 1 | 2 = 1): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(filter, { qos }, (err) => (err ? reject(err) : resolve())));
}

export function end(client: MqttClient | undefined): Promise<void> {
  return new Promise((resolve) => (client ? client.end(true, {}, () => resolve()) : resolve()));
}

/** The next message on `topic` (or matching `predicate`), or a rejection after `ms`. */
export function nextMessage(client: MqttClient, predicate: (topic: string, payload: Buffer) => boolean, ms = 5000): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no matching message within ${ms} ms`));
    }, ms);
    function onMessage(topic: string, payload: Buffer): void {
      if (!predicate(topic, payload)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload: payload.toString() });
    }
    client.on('message', onMessage);
  });
}

/** Polls `check` until it returns a truthy value; the last error is reported on timeout. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
