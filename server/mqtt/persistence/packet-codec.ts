// A packet <-> (meta, payload) for SQLite. The payload goes into a BLOB untouched; every other own
// field goes into `meta` as JSON, so fields we do not know about (MQTT 5 properties, aedes internals
// such as messageExpiry) survive a restart. Two things JSON cannot say are recorded beside the fields:
// - `$undefined`: fields present with the value undefined. aedes-packet sets `messageId: undefined`
//   on every queued QoS > 0 packet and the abstract suite compares key sets, so presence matters;
// - `$payload`: "string" when the payload was a string (aedes accepts both), "none" when absent
//   (a PUBREL has no payload). A Buffer payload is the default and records nothing.
// Buffers nested in fields (MQTT 5 correlationData, authenticationData) use Buffer's JSON form and
// are revived by `reviveBuffers`. `$` keys never clash: no MQTT packet field starts with `$`.
import type { StoredPacket } from './types.js';

export interface EncodedPacket {
  meta: string;
  payload: Buffer | null;
}

const UNDEFINED_KEY = '$undefined';
const PAYLOAD_KEY = '$payload';

export function encodePacket(packet: StoredPacket): EncodedPacket {
  const fields: Record<string, unknown> = {};
  const undefinedKeys: string[] = [];
  for (const key of Object.keys(packet)) {
    if (key === 'payload') continue;
    const value = packet[key];
    if (value === undefined) undefinedKeys.push(key);
    else fields[key] = value;
  }
  const { payload } = packet;
  let blob: Buffer | null;
  if (typeof payload === 'string') {
    fields[PAYLOAD_KEY] = 'string';
    blob = Buffer.from(payload, 'utf8');
  } else if (payload === undefined) {
    if (Object.prototype.hasOwnProperty.call(packet, 'payload')) undefinedKeys.push('payload');
    fields[PAYLOAD_KEY] = 'none';
    blob = null;
  } else {
    blob = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  if (undefinedKeys.length > 0) fields[UNDEFINED_KEY] = undefinedKeys;
  return { meta: JSON.stringify(fields), payload: blob };
}

export function decodePacket(meta: string, payload: Buffer | null): StoredPacket {
  // The reviver visits every value; most packets hold no Buffer besides the payload, so skip it then.
  const fields = (meta.includes('"Buffer"') ? JSON.parse(meta, reviveBuffers) : JSON.parse(meta)) as Record<string, unknown>;
  const packet: StoredPacket = {};
  for (const key of Object.keys(fields)) {
    if (key !== UNDEFINED_KEY && key !== PAYLOAD_KEY) packet[key] = fields[key];
  }
  const kind = fields[PAYLOAD_KEY];
  if (kind === 'string') packet.payload = (payload ?? Buffer.alloc(0)).toString('utf8');
  else if (kind !== 'none') packet.payload = payload ?? Buffer.alloc(0);
  const undefinedKeys = fields[UNDEFINED_KEY];
  if (Array.isArray(undefinedKeys)) for (const key of undefinedKeys) packet[String(key)] = undefined;
  return packet;
}

function reviveBuffers(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as { type?: unknown; data?: unknown };
    if (v.type === 'Buffer' && Array.isArray(v.data) && Object.keys(v).length === 2) return Buffer.from(v.data as number[]);
  }
  return value;
}
