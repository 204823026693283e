import { NO_DEFAULT, boolOr, floatOr, intOr, roundOr, toFloat, type Fallback } from './convert.js';
import { TemplateError, UNDEFINED, fromJson, isDict, newDict, pyEquals, pyStr, truthy, typeOf, type PyValue } from './values.js';
import { parseDeviceJson } from '../../../server/core/device-json.js';
import { MAX_OUTPUT } from './budget.js';

// Filters, tests, functions and string methods of the subset. Names and argument orders follow Jinja2
// (jinja2/filters.py) and HA's additions (homeassistant/helpers/template.py): float, int, round, bool, iif,
// is_defined. Anything not listed here is an error naming the unsupported name, never a silent "".

export type Builtin = (value: PyValue, args: PyValue[], kw: Record<string, PyValue>) => PyValue;

/** replace() stops as soon as its result passes the bound, rather than building it whole and checking after. */
const MAX_STRING = MAX_OUTPUT;

function arg(args: PyValue[], kw: Record<string, PyValue>, i: number, name: string): PyValue | undefined {
  if (i < args.length) return args[i];
  return Object.hasOwn(kw, name) ? kw[name] : undefined;
}
function fallback(args: PyValue[], kw: Record<string, PyValue>, i: number): Fallback {
  const v = arg(args, kw, i, 'default');
  return v === undefined ? NO_DEFAULT : v;
}
function str(v: PyValue, what: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${what} expects a string, got ${typeOf(v)}`);
  return v;
}
function list(v: PyValue, what: string): PyValue[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isDict(v)) return Object.keys(v);
  throw new TemplateError(`${what} expects a list, got ${typeOf(v)}`);
}
function extreme(items: PyValue[], sign: 1 | -1, what: string): PyValue {
  if (items.length === 0) throw new TemplateError(`${what} of an empty list`);
  return items.reduce((best, x) => (compare(x, best, what) * sign > 0 ? x : best));
}

/** Python ordering: numbers with numbers (bools count), strings with strings; anything else is a TypeError. */
export function compare(a: PyValue, b: PyValue, what = 'comparison'): number {
  const na = typeof a === 'boolean' ? Number(a) : a;
  const nb = typeof b === 'boolean' ? Number(b) : b;
  if (typeof na === 'number' && typeof nb === 'number') return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof na === 'string' && typeof nb === 'string') return na < nb ? -1 : na > nb ? 1 : 0;
  throw new TemplateError(`${what}: cannot order ${typeOf(a)} and ${typeOf(b)}`);
}

export function iif(value: PyValue, ifTrue: PyValue = true, ifFalse: PyValue = false, ifNone?: PyValue): PyValue {
  if (value === null && ifNone !== undefined) return ifNone;
  return truthy(value) ? ifTrue : ifFalse;
}

function replaceAll(s: string, old: string, by: string, count: number): string {
  if (old === '') return s;
  let out = '';
  let rest = s;
  for (let n = 0; count < 0 || n < count; n++) {
    const i = rest.indexOf(old);
    if (i === -1) break;
    out += rest.slice(0, i) + by;
    rest = rest.slice(i + old.length);
    if (out.length > MAX_STRING) throw new TemplateError('replace: result too long');
  }
  return out + rest;
}

export const FILTERS: Record<string, Builtin> = {
  float: (v, a, kw) => floatOr(v, fallback(a, kw, 0)),
  int: (v, a, kw) => intOr(v, fallback(a, kw, 0), Number(arg(a, kw, 1, 'base') ?? 10)),
  round: (v, a, kw) =>
    roundOr(v, Number(arg(a, kw, 0, 'precision') ?? 0), String(arg(a, kw, 1, 'method') ?? 'common'), fallback(a, kw, 2)),
  bool: (v, a, kw) => boolOr(v, fallback(a, kw, 0)),
  default: (v, a, kw) => {
    const useIfFalsy = truthy(arg(a, kw, 1, 'boolean') ?? false);
    return v === UNDEFINED || (useIfFalsy && !truthy(v)) ? (arg(a, kw, 0, 'default_value') ?? '') : v;
  },
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  title: (v) => pyStr(v).toLowerCase().replace(/(^|[^a-z0-9])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
  capitalize: (v) => {
    const s = pyStr(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  trim: (v) => pyStr(v).trim(),
  string: (v) => pyStr(v),
  replace: (v, a, kw) =>
    replaceAll(pyStr(v), pyStr(arg(a, kw, 0, 'old') ?? ''), pyStr(arg(a, kw, 1, 'new') ?? ''), Number(arg(a, kw, 2, 'count') ?? -1)),
  abs: (v) => {
    const n = toFloat(v);
    if (n === undefined || typeof v === 'string') throw new TemplateError(`abs expects a number, got ${typeOf(v)}`);
    return Math.abs(n);
  },
  length: (v) => list(v, 'length').length,
  first: (v) => list(v, 'first')[0] ?? UNDEFINED,
  last: (v) => list(v, 'last').at(-1) ?? UNDEFINED,
  join: (v, a, kw) => list(v, 'join').map(pyStr).join(pyStr(arg(a, kw, 0, 'd') ?? '')),
  min: (v) => extreme(list(v, 'min'), -1, 'min'),
  max: (v) => extreme(list(v, 'max'), 1, 'max'),
  tojson: (v) => JSON.stringify(v === UNDEFINED ? null : v),
  from_json: (v) => {
    try {
      return fromJson(parseDeviceJson(str(v, 'from_json')));
    } catch (err) {
      throw new TemplateError(`from_json: ${(err as Error).message}`);
    }
  },
  iif: (v, a, kw) => iif(v, arg(a, kw, 0, 'if_true'), arg(a, kw, 1, 'if_false'), arg(a, kw, 2, 'if_none')),
  is_defined: (v) => {
    if (v === UNDEFINED) throw new TemplateError('is_defined: value is undefined');
    return v;
  },
};
FILTERS.d = FILTERS.default!;
FILTERS.count = FILTERS.length!;
FILTERS.to_json = FILTERS.tojson!;

/** Global functions: `float(x, 0)`, `iif(c, a, b)`... The first argument plays the filter's value. */
export const FUNCTIONS: Record<string, Builtin> = {
  float: FILTERS.float!,
  int: FILTERS.int!,
  bool: FILTERS.bool!,
  iif: FILTERS.iif!,
  min: (v, a) => extreme(a.length ? [v, ...a] : list(v, 'min'), -1, 'min'),
  max: (v, a) => extreme(a.length ? [v, ...a] : list(v, 'max'), 1, 'max'),
};

export const TESTS: Record<string, (v: PyValue, args: PyValue[]) => boolean> = {
  defined: (v) => v !== UNDEFINED,
  undefined: (v) => v === UNDEFINED,
  none: (v) => v === null,
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  mapping: (v) => isDict(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  list: (v) => Array.isArray(v),
  true: (v) => v === true,
  false: (v) => v === false,
  even: (v) => typeof v === 'number' && v % 2 === 0,
  odd: (v) => typeof v === 'number' && Math.abs(v % 2) === 1,
  eq: (v, a) => pyEquals(v, a[0] ?? UNDEFINED),
};

/** Methods on values: `value.split(',')[0]`, `value_json.get('x', 0)`. */
export function callMethod(obj: PyValue, name: string, args: PyValue[]): PyValue {
  if (typeof obj === 'string') {
    switch (name) {
      case 'lower': return obj.toLowerCase();
      case 'upper': return obj.toUpperCase();
      case 'strip': return obj.trim();
      case 'startswith': return obj.startsWith(pyStr(args[0] ?? ''));
      case 'endswith': return obj.endsWith(pyStr(args[0] ?? ''));
      case 'replace': return replaceAll(obj, pyStr(args[0] ?? ''), pyStr(args[1] ?? ''), Number(args[2] ?? -1));
      case 'split': {
        const sep = args[0];
        return sep === undefined || sep === null ? obj.trim().split(/\s+/).filter(Boolean) : obj.split(pyStr(sep));
      }
    }
  }
  if (isDict(obj) && name === 'get') {
    const key = pyStr(args[0] ?? '');
    return Object.hasOwn(obj, key) ? obj[key]! : (args[1] ?? null);
  }
  if (isDict(obj) && name === 'keys') return Object.keys(obj);
  if (isDict(obj) && name === 'values') return Object.values(obj);
  throw new TemplateError(`unsupported method ${typeOf(obj)}.${name}()`);
}

export function makeDict(entries: [PyValue, PyValue][]): PyValue {
  const d = newDict();
  for (const [k, v] of entries) d[pyStr(k)] = v;
  return d;
}
