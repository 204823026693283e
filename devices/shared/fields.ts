import { isObject, typeName } from './payload.js';

/**
 * Typed reads from an untrusted JSON object that collect every problem with its path (`cmps.t.unit_of_measurement:
 * expected a string, got a number`) instead of stopping at the first: a device author sees all mistakes at once.
 */
export class Fields {
  readonly errors: string[];
  constructor(
    readonly obj: Record<string, unknown>,
    private readonly path = '',
    errors?: string[],
  ) {
    this.errors = errors ?? [];
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  fail(key: string, problem: string): undefined {
    this.errors.push(`${this.at(key)}: ${problem}`);
    return undefined;
  }

  /** A sub-object sharing this reader's error list. */
  child(key: string): Fields | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) return this.fail(key, `expected an object, got ${typeName(v)}`);
    return new Fields(v, this.at(key), this.errors);
  }

  str(key: string, required = false): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return required ? this.fail(key, 'is required') : undefined;
    if (typeof v !== 'string') return this.fail(key, `expected a string, got ${typeName(v)}`);
    if (required && v === '') return this.fail(key, 'must not be empty');
    return v;
  }

  /** Strings, numbers and booleans as text (configs write `"pl_on": 1` or `true` as often as `"ON"`). */
  text(key: string, toText: (v: string | number | boolean) => string = String): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return toText(v);
    return this.fail(key, `expected a string, got ${typeName(v)}`);
  }

  num(key: string, opts: { required?: boolean; integer?: boolean; min?: number } = {}): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return opts.required ? this.fail(key, 'is required') : undefined;
    // Configs quote numbers now and then ("qos": "1"); a numeric string is accepted, anything else is not.
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.fail(key, `expected a number, got ${typeName(v)}`);
    if (opts.integer && !Number.isInteger(n)) return this.fail(key, `expected an integer, got ${n}`);
    if (opts.min !== undefined && n < opts.min) return this.fail(key, `must be at least ${opts.min}, got ${n}`);
    return n;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    return this.fail(key, `expected true or false, got ${typeName(v)}`);
  }

  /** A list of strings; a single string is accepted as a one-element list (HA `identifiers`). */
  strList(key: string, required = false): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return required ? this.fail(key, 'is required') : undefined;
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) return this.fail(key, `expected a list of strings, got ${typeName(v)}`);
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === 'string') out.push(item);
      else if (typeof item === 'number') out.push(String(item));
      else this.errors.push(`${this.at(key)}[${i}]: expected a string, got ${typeName(item)}`);
    });
    return out;
  }

  list(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.fail(key, `expected a list, got ${typeName(v)}`);
    return v;
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
}
