import { ErrorCodes, RumahError } from '../../server/core/errors.js';
import type { Logger } from '../../server/core/logger.js';
import type { CredentialSource } from './credentials.js';
import type { Backoff } from './link.js';
import { CONVENTION_NAMES, KIND_NAMES, type ConventionName, type KindName } from './types.js';

export interface SimulationOptions {
  /** The hub's MQTT listener, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** How many virtual devices. */
  devices: number;
  convention?: ConventionName;
  /** Telemetry messages per second, all devices together; default one per device every 5 s. */
  rate?: number;
  credentials?: CredentialSource;
  /** Fresh random credentials per connection, presented through the hub's join window. */
  pair?: boolean;
  /** Create one account per connection with the hub's CLI on this data directory. */
  dataDir?: string;
  /** MQTT connections the devices share; default one per device (one bridge for zigbee2mqtt). */
  connections?: number;
  /** Same seed, same home: kinds, rooms, MACs and the random walk of every reading. */
  seed?: number;
  /** Only these kinds, handed out in this order. */
  kinds?: readonly KindName[];
  home?: string;
  keepalive?: number;
  /** MQTT 3.1.1 (4, default) or 5: with 5 a refused publish is seen at once (PUBACK 0x87); 3.1.1 brokers drop it silently. */
  protocolVersion?: 4 | 5;
  backoff?: Partial<Backoff>;
  log?: Logger;
}

export const MAX_DEVICES = 100_000;
export const MAX_RATE = 1_000_000;

export type CheckedOptions = Readonly<Required<Pick<SimulationOptions, 'url' | 'devices' | 'convention' | 'rate' | 'seed' | 'home' | 'keepalive'>>> &
  Readonly<Pick<SimulationOptions, 'credentials' | 'pair' | 'dataDir' | 'connections' | 'kinds' | 'log' | 'protocolVersion'>> & { readonly backoff: Readonly<Backoff> };

/** Validates once, reporting every problem together, and returns frozen options with the defaults filled in. */
export function checkOptions(o: SimulationOptions): CheckedOptions {
  const errors: string[] = [];
  const int = (v: unknown, name: string, min: number, max: number): void => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) errors.push(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  try {
    const url = new URL(o.url);
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(url.protocol)) errors.push(`url: protocol must be mqtt, mqtts, ws or wss, got ${url.protocol}`);
  } catch {
    errors.push(`url: not a URL: ${JSON.stringify(o.url)}`);
  }
  int(o.devices, 'devices', 1, MAX_DEVICES);
  if (o.devices === undefined) errors.push('devices: required');
  int(o.connections, 'connections', 1, MAX_DEVICES);
  int(o.seed, 'seed', 0, 0xffffffff);
  int(o.keepalive, 'keepalive', 1, 3600);
  if (o.rate !== undefined && (typeof o.rate !== 'number' || !(o.rate > 0) || o.rate > MAX_RATE)) errors.push(`rate: expected messages per second above 0 and at most ${MAX_RATE}, got ${JSON.stringify(o.rate)}`);
  if (o.protocolVersion !== undefined && o.protocolVersion !== 4 && o.protocolVersion !== 5) errors.push(`protocolVersion: expected 4 (MQTT 3.1.1) or 5, got ${JSON.stringify(o.protocolVersion)}`);
  // One topic level: no separator, no wildcard [MQTT-4.7.1-1], nothing the hub's slugs would mangle.
  if (o.home !== undefined && (typeof o.home !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(o.home))) errors.push(`home (--prefix): expected one topic level of letters, digits, - and _ (at most 64), got ${JSON.stringify(o.home)}`);
  if (o.convention !== undefined && !CONVENTION_NAMES.includes(o.convention)) errors.push(`convention: expected one of ${CONVENTION_NAMES.join(', ')}, got ${JSON.stringify(o.convention)}`);
  for (const k of o.kinds ?? []) if (!KIND_NAMES.includes(k)) errors.push(`kinds: unknown kind ${JSON.stringify(k)}; known: ${KIND_NAMES.join(', ')}`);
  if ([o.credentials !== undefined, o.pair === true, o.dataDir !== undefined].filter(Boolean).length > 1) errors.push('credentials, pair and dataDir are alternatives: give one');
  const backoff = { initialMs: o.backoff?.initialMs ?? 1000, maxMs: o.backoff?.maxMs ?? 30_000 };
  int(backoff.initialMs, 'backoff.initialMs', 10, 600_000);
  int(backoff.maxMs, 'backoff.maxMs', backoff.initialMs, 3_600_000);
  if (errors.length) throw new RumahError(ErrorCodes.CONFIG_INVALID, `invalid simulation options:\n  ${errors.join('\n  ')}`, { errors });
  return Object.freeze({
    url: o.url, devices: o.devices, convention: o.convention ?? 'native', rate: o.rate ?? Math.max(0.2, o.devices / 5),
    seed: o.seed ?? (Date.now() >>> 0), home: o.home ?? 'ourhome', keepalive: o.keepalive ?? 30,
    credentials: o.credentials, pair: o.pair, dataDir: o.dataDir, connections: o.connections, kinds: o.kinds, log: o.log, protocolVersion: o.protocolVersion,
    backoff: Object.freeze(backoff),
  });
}
