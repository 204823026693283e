import type { Capability, StateValue } from '../../server/core/model.js';
import { parseDeviceJson } from '../../server/core/device-json.js';

// How a native payload becomes typed properties. Plain words and numbers are the common case; a JSON object
// gives one property per key, its values kept as the device sent them.

// A motion sensor's `detected`/`clear` is a pair too (HA's words for motion, occupancy, smoke...): binary, so it is
// charted and triggers like any other; the capability keeps the words, and the dashboard shows them.
// Maps, not object literals: a device's word is looked up in them, and `'constructor' in {}` is true (a payload
// "constructor" became the Object function as the device's state).
const binaryWords = new Map<string, boolean>([
  ['on', true], ['off', false], ['true', true], ['false', false], ['open', true], ['closed', false], ['yes', true], ['no', false], ['detected', true], ['clear', false],
]);
const wordPairs = new Map<string, [string, string]>([
  ['on', ['on', 'off']], ['off', ['on', 'off']], ['true', ['true', 'false']], ['false', ['true', 'false']],
  ['open', ['open', 'closed']], ['closed', ['open', 'closed']], ['yes', ['yes', 'no']], ['no', ['yes', 'no']],
  ['detected', ['detected', 'clear']], ['clear', ['detected', 'clear']],
]);

/** Things that only report: a command to them makes no sense. */
const sensorNames = new Set([
  'temperature', 'humidity', 'pressure', 'illuminance', 'lux', 'co2', 'voc', 'pm25', 'pm10', 'battery', 'voltage',
  'current', 'power', 'energy', 'contact', 'motion', 'occupancy', 'presence', 'door', 'window', 'leak', 'smoke',
  'water', 'vibration', 'linkquality', 'rssi', 'button', 'action', 'status',
]);
/** Numbers a user sets (a dimmer's level, a thermostat's set point). */
const settableNumbers = new Set(['brightness', 'level', 'dimmer', 'setpoint', 'target', 'target_temperature', 'position', 'volume', 'speed', 'color_temp']);

const units = new Map<string, string>(Object.entries({
  temperature: '°C', humidity: '%', pressure: 'hPa', illuminance: 'lx', lux: 'lx', co2: 'ppm', battery: '%',
  voltage: 'V', current: 'A', power: 'W', energy: 'kWh', brightness: '', linkquality: 'lqi',
}));

export const maxJsonKeys = 64;
export const maxTextLength = 4096;

export interface ParsedPayload {
  values: Record<string, StateValue>;
  capabilities: Capability[];
}

export function parseNativePayload(thing: string, text: string, previous?: readonly Capability[]): ParsedPayload {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const obj = tryJson(trimmed);
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) return fromObject(thing, obj as Record<string, StateValue>, previous);
    // Invalid JSON is kept as the string it is: nothing the device sent is lost.
  }
  const value = scalar(trimmed, text);
  const only = previous?.length === 1 ? previous[0]! : undefined;
  if (typeof value === 'number' && only?.kind === 'numeric' && only.property === thing) return { values: { [thing]: value }, capabilities: previous as Capability[] };
  // A plain word keeps its spelling in the capability ("OFF" → commands are sent as "ON"/"OFF").
  const cap = capabilityFor(thing, typeof value === 'boolean' ? trimmed : value);
  return { values: { [thing]: value }, capabilities: [cap] };
}

function fromObject(thing: string, obj: Record<string, StateValue>, previous?: readonly Capability[]): ParsedPayload {
  // `{"value": 48.2, "unit": "%"}` is one reading with its unit, not two properties.
  if (typeof obj.value === 'number' && Object.keys(obj).every((k) => k === 'value' || k === 'unit')) {
    const cap = capabilityFor(thing, obj.value);
    if (typeof obj.unit === 'string') cap.unit = obj.unit;
    return { values: { [thing]: obj.value }, capabilities: [cap] };
  }
  // Telemetry repeats its shape: when every value still fits the capabilities made last time, those are returned
  // as they are (the same array), and the registry sees at once that nothing about the device changed. (Checked
  // before the keys are counted: capabilities are never made from more than maxJsonKeys keys.)
  if (previous && fits(obj, previous)) return { values: obj, capabilities: previous as Capability[] };
  const keys = Object.keys(obj);
  if (keys.length > maxJsonKeys) {
    const values: Record<string, StateValue> = {};
    for (const key of keys.slice(0, maxJsonKeys)) values[key] = obj[key]!;
    obj = values;
  }
  const capabilities: Capability[] = [];
  for (const key in obj) capabilities.push(capabilityFor(key, obj[key]!));
  return { values: obj, capabilities };
}

/** True when capabilityFor would make exactly `caps` from these values (the common, numeric and boolean, cases). */
function fits(obj: Record<string, StateValue>, caps: readonly Capability[]): boolean {
  let i = 0;
  for (const key in obj) {
    const cap = caps[i++];
    if (!cap || cap.property !== key) return false;
    const value = obj[key];
    if (typeof value === 'number') {
      if (cap.kind !== 'numeric') return false;
    } else if (typeof value === 'boolean') {
      if (cap.kind !== 'binary' || cap.on !== true) return false;
    } else {
      return false; // strings (words keep their spelling), objects, null: worked out again
    }
  }
  return i === caps.length;
}

function scalar(trimmed: string, raw: string): StateValue {
  // Numbers first: telemetry is mostly numbers, and this scan is several times cheaper than lower-casing and a regex.
  if (isDecimal(trimmed)) return Number(trimmed);
  const word = binaryWords.get(trimmed.toLowerCase());
  if (word !== undefined) return word;
  if (trimmed.startsWith('[') || trimmed.startsWith('"')) {
    const parsed = tryJson(trimmed);
    if (parsed !== undefined) return parsed;
  }
  return raw.length > maxTextLength ? raw.slice(0, maxTextLength) : raw;
}

function capabilityFor(property: string, value: StateValue): Capability {
  const name = property.toLowerCase();
  const sensor = sensorNames.has(name);
  if (typeof value === 'boolean') {
    return { property, kind: 'binary', access: { reported: true, settable: !sensor, readable: false }, on: true, off: false };
  }
  const pair = typeof value === 'string' ? wordPairs.get(value.toLowerCase()) : undefined;
  if (typeof value === 'string' && pair) {
    const [on, off] = pair;
    const upper = value === value.toUpperCase();
    return { property, kind: 'binary', access: { reported: true, settable: !sensor, readable: false }, on: upper ? on.toUpperCase() : on, off: upper ? off.toUpperCase() : off };
  }
  if (typeof value === 'number') {
    const cap: Capability = { property, kind: 'numeric', access: { reported: true, settable: settableNumbers.has(name), readable: false } };
    const unit = units.get(name);
    if (unit) cap.unit = unit;
    if (name === 'brightness') Object.assign(cap, { min: 0, max: 255, step: 1 });
    return cap;
  }
  return { property, kind: 'text', access: { reported: true, settable: false, readable: false } };
}

/** `^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`, scanned: a plain decimal number (no hex, no Infinity, no spaces). */
export function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++; // + -
  let digits = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) { i++; digits++; }
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) { i++; digits++; }
  }
  if (digits === 0) return false;
  if (i < n && ((c = s.charCodeAt(i)) === 101 || c === 69)) { // e E
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    let exponent = 0;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) { i++; exponent++; }
    if (exponent === 0) return false;
  }
  return i === n;
}

/** The word a binary capability uses for `on`, in the device's own spelling. */
export function binaryWord(cap: Capability | undefined, on: boolean, plainFallback: string): string | boolean {
  const raw = on ? cap?.on : cap?.off;
  if (raw === undefined || typeof raw === 'boolean') return plainFallback;
  return raw;
}

function tryJson(text: string): StateValue | undefined {
  try {
    return parseDeviceJson(text) as StateValue;
  } catch {
    return undefined;
  }
}
