import type { Capability, StateValue } from '../../../server/core/model.js';
import { binaryText } from './binary-words.js';

/** A value as text (never markup): numbers with their unit, binaries in the device's words, anything else as compact JSON. */
export function formatValue(value: StateValue | undefined, cap?: Capability): string {
  if (value === undefined) return '—';
  if (cap?.kind === 'binary') {
    // In the device's own words: Closed, Detected, Wet (binary-words.ts).
    const text = binaryText(cap, value);
    if (text !== undefined) return text;
  }
  if (typeof value === 'number') {
    // At most two decimals, without trailing zeros: 21.5 °C, 0.25 kWh, 1013 hPa.
    const text = String(Number(value.toFixed(2)));
    return cap?.unit ? `${text} ${cap.unit}` : text;
  }
  if (typeof value === 'string') return cap?.unit ? `${value} ${cap.unit}` : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 79)}…` : json;
}

/** Reads the many words devices use for on and off (ON, on, true, 1); undefined when it is neither. */
export function onOff(value: StateValue | undefined): boolean | undefined {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  return word === 'on' || word === 'true' || word === 'open' ? true : word === 'off' || word === 'false' || word === 'closed' ? false : undefined;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(ts: number | undefined, now: number): string {
  if (ts === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

// One formatter for the page: toLocaleString() builds a new Intl.DateTimeFormat on every call (~0.3 ms), which
// made 1,000 "last seen" labels a 300 ms task every time the shared ticker moved them.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(ts: number): string {
  return dateTime.format(ts);
}

/** "brightness" → "Brightness", "color_temp" → "Color temp". */
export function propertyLabel(property: string): string {
  const words = property.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
