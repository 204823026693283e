import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SimulationOptions } from './options.js';
import { CONVENTION_NAMES, KIND_NAMES, type ConventionName, type KindName } from './types.js';

export const usage = `usage: npm run simulate -- --devices N [options]

  --devices N              virtual devices (required)
  --convention C           ${CONVENTION_NAMES.join(' | ')} (default native)
  --rate R                 telemetry messages per second, all devices together (default N/5)
  --url URL                the hub's MQTT listener (default: the port in <data>/runtime.json, else mqtt://127.0.0.1:1883)
  --username U --password P   one MQTT account for every connection
  --pair                   random credentials per connection, to accept in the hub's join window
  --data DIR               one account per connection (sim-1, sim-2…) made with the hub's CLI on DIR
                           (default when no credentials are given: $RUMAH_DATA or ./data, if a hub's database is there)
  --connections N          MQTT connections the devices share (default one per device; zigbee2mqtt one bridge)
  --duration S             stop after S seconds (default: Ctrl-C)
  --kinds K,K              only these kinds: ${KIND_NAMES.join(', ')}
  --seed N                 the same seed lays out the same home
  --mqtt 5                 speak MQTT 5 (default 3.1.1): a refused publish is then reported at once (PUBACK 0x87)
  --prefix NAME            the home's topic root (default ourhome): a namespace of the simulation's own, so its
                           topics do not collide with real devices' (native and Home Assistant state topics)
  --log-level L            debug | info | warn (default) | error
`;

export interface CliOptions {
  sim: Omit<SimulationOptions, 'log'>;
  duration?: number;
  logLevel: string;
  /** Where the data directory came from, when it was not given. */
  note?: string;
}

/** Parses and validates the command line; every problem is reported at once. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { ok: true; value: CliOptions } | { ok: false; errors: string[]; help?: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        devices: { type: 'string' }, convention: { type: 'string' }, rate: { type: 'string' }, url: { type: 'string' },
        username: { type: 'string' }, password: { type: 'string' }, pair: { type: 'boolean' }, data: { type: 'string' },
        connections: { type: 'string' }, duration: { type: 'string' }, kinds: { type: 'string' }, seed: { type: 'string' }, prefix: { type: 'string' }, mqtt: { type: 'string' },
        'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, errors: [(err as Error).message] };
  }
  const v = parsed.values;
  if (v.help) return { ok: false, errors: [], help: true };
  const errors: string[] = [];
  const number = (text: string | undefined, name: string, integer: boolean): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      errors.push(`--${name}: expected a ${integer ? 'whole ' : ''}number above 0, got "${text}"`);
      return undefined;
    }
    return n;
  };
  const devices = number(v.devices, 'devices', true);
  const rate = number(v.rate, 'rate', false);
  const connections = number(v.connections, 'connections', true);
  const duration = number(v.duration, 'duration', false);
  if (v.devices === undefined) errors.push('--devices N is required');
  const convention = v.convention as ConventionName | undefined;
  if (convention !== undefined && !CONVENTION_NAMES.includes(convention)) errors.push(`--convention: expected one of ${CONVENTION_NAMES.join(', ')}, got "${convention}"`);
  const kinds = v.kinds?.split(',').map((k) => k.trim()).filter(Boolean) as KindName[] | undefined;
  for (const k of kinds ?? []) if (!KIND_NAMES.includes(k)) errors.push(`--kinds: unknown kind "${k}"`);
  if ((v.username === undefined) !== (v.password === undefined)) errors.push('--username and --password go together');
  const given = [v.username !== undefined, v.pair === true, v.data !== undefined].filter(Boolean).length;
  if (given > 1) errors.push('--username/--password, --pair and --data are alternatives: give one');
  const seed = v.seed === undefined ? undefined : Number(v.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) errors.push(`--seed: expected a whole number from 0 to ${0xffffffff}`);

  // The one-command demo: with no credentials, use the hub's data directory if there is one.
  let dataDir = v.data === undefined ? undefined : path.resolve(cwd, v.data);
  let note: string | undefined;
  if (given === 0) {
    const guess = path.resolve(cwd, env.RUMAH_DATA ?? 'data');
    if (fs.existsSync(path.join(guess, 'rumah.db'))) {
      dataDir = guess;
      note = `no credentials given: creating accounts sim-1… in ${guess}`;
    }
  }
  let url = v.url;
  if (url === undefined && dataDir) {
    try {
      const runtime = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { mqttPort?: unknown };
      if (typeof runtime.mqttPort === 'number') url = `mqtt://127.0.0.1:${runtime.mqttPort}`;
    } catch {
      // No runtime.json: the hub has not run on this directory yet; the default port it is.
    }
  }
  if (v.mqtt !== undefined && v.mqtt !== '5' && v.mqtt !== '3.1.1' && v.mqtt !== '4') errors.push(`--mqtt: expected 5 or 3.1.1, got "${v.mqtt}"`);
  const logLevel = v['log-level'] ?? 'warn';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) errors.push(`--log-level: unknown level "${logLevel}"`);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      sim: {
        url: url ?? 'mqtt://127.0.0.1:1883', devices: devices!, convention, rate, connections, kinds, seed,
        ...(v.prefix !== undefined ? { home: v.prefix } : {}),
        ...(v.mqtt === '5' ? { protocolVersion: 5 as const } : {}),
        ...(v.username !== undefined ? { credentials: { username: v.username, password: v.password! } } : {}),
        ...(v.pair ? { pair: true } : {}),
        ...(dataDir ? { dataDir } : {}),
      },
      duration,
      logLevel,
      note,
    },
  };
}
