import type { StateValue } from '../core/model.js';

// How values are written to and read from the history and state columns: defined once, used by the writer
// (encode) and the repositories (decode).

/** A history value: a finite number as itself (REAL column), null as NULL, anything else as JSON text. */
export function encodeHistoryValue(value: StateValue): number | string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null) return null;
  try {
    return JSON.stringify(value);
  } catch (err) {
    // A value JSON cannot write (too deep, a cycle) must not fail its whole batch on every retry: it is kept as a
    // note of what went wrong instead. Device JSON is bounded before it gets here (core/device-json.ts).
    return JSON.stringify(`(not stored: ${(err as Error).message})`);
  }
}

export function decodeHistoryValue(raw: number | string | null): StateValue {
  if (raw === null || typeof raw === 'number') return raw;
  return parseJson(raw, raw);
}

/** JSON.parse that returns `fallback` for text that is not JSON (a row edited by hand must not crash a restore). */
export function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
