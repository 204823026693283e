// The values a template computes with, and the Python semantics Jinja gives them (HA renders templates with
// Jinja2 on Python: `True` renders as "True", `None` as "None", an undefined variable as "").

/** Jinja's Undefined: what `value_json.missing` yields. Renders as "", is falsy, and `default()` replaces it. */
export const UNDEFINED: unique symbol = Symbol('undefined');
export type Undefined = typeof UNDEFINED;

export type PyValue = string | number | boolean | null | Undefined | PyValue[] | PyDict;
export interface PyDict {
  [key: string]: PyValue;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function isDict(v: PyValue): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python truthiness: "", 0, [], {}, None, undefined and False are false. */
export function truthy(v: PyValue): boolean {
  if (v === UNDEFINED || v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

/** Python's str(): how a value renders inside `{{ }}`. */
export function pyStr(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (v === UNDEFINED) return '';
  return pyRepr(v);
}

/** Python's repr(), used for lists and dicts (`['a', 1]`, `{'a': True}`). */
export function pyRepr(v: PyValue): string {
  if (v === UNDEFINED) return '';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.keys(v).map((k) => `${pyRepr(k)}: ${pyRepr(v[k]!)}`).join(', ')}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}

export function typeOf(v: PyValue): string {
  if (v === UNDEFINED) return 'undefined';
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v === 'boolean' ? 'bool' : 'str';
}

/** A JSON value (from JSON.parse) as a template value; JSON has no undefined, so this is a plain cast. */
export function fromJson(v: unknown): PyValue {
  return v as PyValue;
}

/** Own properties only: `value_json.constructor` or `__proto__` must never reach into JavaScript internals. */
export function getItem(container: PyValue, key: PyValue): PyValue {
  if (Array.isArray(container)) {
    if (typeof key !== 'number' || !Number.isInteger(key)) return UNDEFINED;
    const i = key < 0 ? container.length + key : key;
    return i >= 0 && i < container.length ? container[i]! : UNDEFINED;
  }
  if (typeof container === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) return UNDEFINED;
    const i = key < 0 ? container.length + key : key;
    return i >= 0 && i < container.length ? container[i]! : UNDEFINED;
  }
  if (isDict(container)) {
    const k = typeof key === 'string' ? key : pyStr(key);
    return Object.hasOwn(container, k) ? container[k]! : UNDEFINED;
  }
  return UNDEFINED;
}

/** A dict with no prototype, so keys such as `__proto__` are plain keys. */
export function newDict(): PyDict {
  return Object.create(null) as PyDict;
}

export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  // Python: True == 1 and False == 0.
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]!));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k]!, b[k]!));
  }
  return a === b;
}
