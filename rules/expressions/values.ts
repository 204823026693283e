// What expressions compute with: JSON values (the same StateValue devices report) plus `undefined` for "missing"
// (a name's absent member, a state never reported). The rules for truth, equality and conversion live here once.

import type { StateValue } from '../../server/core/model.js';

export type ExprValue = StateValue | undefined;
export type Scope = Readonly<Record<string, ExprValue>>;

export function isPlainObject(value: unknown): value is { [key: string]: StateValue } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python/Jinja truth: false, 0, '', [], {}, null and missing are false. */
export function truthy(value: ExprValue): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** A string that is exactly a finite number (`"21.5"`, not `""` or `"21 °C"`), as a number. */
export function numericString(value: string): number | undefined {
  const text = value.trim();
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Numbers, and numeric strings: MQTT payloads arrive as text and `payload > 28` should just work. */
export function asNumber(value: ExprValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return numericString(value);
  return undefined;
}

/**
 * Equality: deep for lists and mappings; a number equals its numeric string (`1 == '1'`, payloads are text);
 * null equals missing. Nothing else converts: `true == 'on'` is false (use count/any for on-ness).
 */
export function looseEquals(a: ExprValue, b: ExprValue): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (typeof a === 'number' && typeof b === 'string') return numericString(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return numericString(a) === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => looseEquals(x, b[i]));
  }
  if (typeof a === 'object' || typeof b === 'object') {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && looseEquals(a[k], b[k]));
  }
  return a === b;
}

/** Text for templates and string(): missing is '', mappings and lists are JSON, numbers as JavaScript prints them. */
export function toText(value: ExprValue): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/** For error messages: what kind of value, with a short sample. */
export function describeValue(value: ExprValue): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const sample = value.length > 30 ? `${value.slice(0, 30)}…` : value;
    return `the string ${JSON.stringify(sample)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}
