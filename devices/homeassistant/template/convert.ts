import { TemplateError, UNDEFINED, pyStr, typeOf, type PyValue } from './values.js';

// Number conversions with HA's semantics (homeassistant/helpers/template.py `forgiving_float_filter`,
// `forgiving_int_filter`, `forgiving_round`): without a default, a value that is not a number is an error
// (HA ≥ 2021.12), not a silent 0 as in plain Jinja.

/** A marker for "no default given", distinct from every template value including None. */
export const NO_DEFAULT: unique symbol = Symbol('no default');
export type Fallback = PyValue | typeof NO_DEFAULT;

export function toFloat(v: PyValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  // Python's float() also reads "nan", "inf" and "1_000"; devices do not send those, so neither do we.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

export function floatOr(v: PyValue, fallback: Fallback, name = 'float'): PyValue {
  const n = toFloat(v);
  if (n !== undefined) return n;
  return orFail(v, fallback, name);
}

export function intOr(v: PyValue, fallback: Fallback, base = 10): PyValue {
  if (typeof v === 'string' && base !== 10) {
    const s = v.trim().toLowerCase().replace(/^0x/, '');
    const n = parseInt(s, base);
    if (s !== '' && !Number.isNaN(n) && n.toString(base) === s.replace(/^0+(?=.)/, '')) return n;
    return orFail(v, fallback, 'int');
  }
  // Jinja's do_int: int(value), else int(float(value)), so "21.7" gives 21.
  const n = toFloat(v);
  if (n !== undefined && Number.isFinite(n)) return Math.trunc(n);
  return orFail(v, fallback, 'int');
}

export function roundOr(v: PyValue, precision: number, method: string, fallback: Fallback): PyValue {
  const n = toFloat(v);
  if (n === undefined) return orFail(v, fallback, 'round');
  if (!Number.isInteger(precision) || precision < 0 || precision > 15) throw new TemplateError(`round: bad precision ${precision}`);
  const f = 10 ** precision;
  let r: number;
  if (method === 'floor') r = Math.floor(n * f) / f;
  else if (method === 'ceil') r = Math.ceil(n * f) / f;
  else if (method === 'half') r = Math.round(n * 2) / 2;
  else if (method === 'common') r = roundHalfEven(n * f) / f;
  else throw new TemplateError(`round: method must be common, ceil, floor or half, got ${JSON.stringify(method)}`);
  return r;
}

/** Python's round(): exact halves go to the even neighbour (round(2.5) == 2, round(3.5) == 4). */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** HA's `bool` filter/function: words people use for true and false. */
export function boolOr(v: PyValue, fallback: Fallback): PyValue {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on', 'enable'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', 'disable'].includes(s)) return false;
  }
  return orFail(v, fallback, 'bool');
}

function orFail(v: PyValue, fallback: Fallback, name: string): PyValue {
  if (fallback !== NO_DEFAULT) return fallback;
  const shown = v === UNDEFINED ? 'undefined' : `${JSON.stringify(pyStr(v)).slice(0, 40)} (${typeOf(v)})`;
  throw new TemplateError(`${name} got invalid input ${shown} and no default was specified`);
}
