import type { Value } from '../types.js';

// Commands arrive in whatever words the wire format decoded: booleans, numbers, or the device's own strings.
// Real firmware is lenient here (Tasmota takes ON/on/1/true), so the simulated devices are too.

const ON = new Set(['on', 'true', '1', 'open', 'yes']);
const OFF = new Set(['off', 'false', '0', 'closed', 'close', 'no']);

/** The new on/off state for a command, `toggle` included; undefined when the value is not a switch word. */
export function asSwitch(value: Value, current: boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 0 ? false : value === 1 ? true : undefined;
  const word = value.trim().toLowerCase();
  if (word === 'toggle') return !current;
  if (ON.has(word)) return true;
  if (OFF.has(word)) return false;
  return undefined;
}

export function asNumber(value: Value): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds since the last tick, bounded so a suspended laptop does not make the kettle boil dry. */
export function elapsed(last: number, now: number): number {
  return Math.min(Math.max(0, now - last), 10 * 60_000);
}
