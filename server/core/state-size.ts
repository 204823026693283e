import type { StateValue } from './model.js';

// How big a state value is, for the bounds in devices/shared/limits.ts: about the characters of its JSON (a
// string's length plus its quotes, a number's digits, an object's keys and punctuation), counted without
// building the JSON. Walks only until the size passes `limit` (then returns limit + 1), so measuring a huge value
// costs no more than the bound it is checked against: on the hot path a number or a word costs one typeof.

export function stateSize(value: StateValue, limit: number): number {
  // A string alone counts its characters (no quotes): a template's largest output (64 Ki) is a storable value.
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return scalarSize(value);
  let size = 0;
  const stack: StateValue[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v !== 'object' || v === null) size += scalarSize(v);
    else if (Array.isArray(v)) {
      size += 1 + v.length;
      if (size > limit) return limit + 1;
      for (const item of v) stack.push(item);
    } else {
      const keys = Object.keys(v);
      size += 1 + keys.length;
      if (size > limit) return limit + 1;
      for (const k of keys) {
        size += k.length + 3;
        stack.push(v[k]!);
      }
    }
    if (size > limit) return limit + 1;
  }
  return size;
}

function scalarSize(v: number | boolean | null): number {
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e6 ? 7 : 24;
  return v === null ? 4 : 5;
}
