import type { MqttMessage } from '../../server/core/events.js';
import { MAX_PAYLOAD_BYTES, MAX_QUOTE } from './limits.js';
import { excerpt } from '../../server/core/errors.js';
import { parseDeviceJson } from '../../server/core/device-json.js';

// Reading payloads safely: the size is checked on the raw buffer before decoding or JSON.parse, and parse
// failures become reasons instead of exceptions.

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

export function tooLarge(msg: MqttMessage, max = MAX_PAYLOAD_BYTES): string | undefined {
  if (msg.payload.length <= max) return undefined;
  return `payload of ${msg.payload.length} bytes exceeds the ${max}-byte limit`;
}

export function readText(msg: MqttMessage, max = MAX_PAYLOAD_BYTES): Read<string> {
  const big = tooLarge(msg, max);
  if (big) return { ok: false, reason: big };
  return { ok: true, value: msg.payload.toString('utf8') };
}

export function parseJson(text: string): Read<unknown> {
  try {
    return { ok: true, value: parseDeviceJson(text) };
  } catch (err) {
    return { ok: false, reason: `invalid JSON (${(err as Error).message.slice(0, 80)}): ${quote(text)}` };
  }
}

export function readJson(msg: MqttMessage, max = MAX_PAYLOAD_BYTES): Read<unknown> {
  const text = readText(msg, max);
  return text.ok ? parseJson(text.value) : text;
}

/** A JSON object (not an array, not null), the shape most device payloads must have. */
export function readJsonObject(msg: MqttMessage, max = MAX_PAYLOAD_BYTES): Read<Record<string, unknown>> {
  const json = readJson(msg, max);
  if (!json.ok) return json;
  if (!isObject(json.value)) return { ok: false, reason: `expected a JSON object, got ${typeName(json.value)}` };
  return { ok: true, value: json.value };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A short, printable excerpt of device text for a log line or rejection reason. */
export function quote(text: string): string {
  return excerpt(text, MAX_QUOTE);
}
