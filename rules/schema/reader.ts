// Reading typed values out of YAML nodes, reporting at the node when the type is wrong. Readers never throw and
// return undefined after a report, so validation goes on and the user gets every problem of the file at once.

import { isMap, isScalar, isSeq, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { SchemaContext, Path } from './context.js';
import { closest } from './suggest.js';

/** A value in the file: its (alias-resolved) node and its path in the rule. */
export interface Field {
  node: YamlNode | null;
  path: Path;
}

export function describeNode(node: YamlNode | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    return String(v);
  }
  return 'something else';
}

export function wrongType(ctx: SchemaContext, field: Field, expected: string): undefined {
  ctx.report(field.node, field.path, `expected ${expected}, got ${describeNode(field.node)}`);
  return undefined;
}

/** The keys of a mapping, read and checked once. */
export class MapReader {
  private readonly pairs = new Map<string, Pair>();

  constructor(
    readonly ctx: SchemaContext,
    readonly node: YAMLMap,
    readonly path: Path,
  ) {
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number')) {
        this.pairs.set(String(key.value), pair);
      } else {
        ctx.report(key, path, `keys must be plain words, got ${describeNode(key)}`);
      }
    }
  }

  has(key: string): boolean {
    return this.pairs.has(key);
  }

  keys(): string[] {
    return [...this.pairs.keys()];
  }

  field(key: string): Field | undefined {
    const pair = this.pairs.get(key);
    if (!pair) return undefined;
    const path = [...this.path, key];
    return { node: this.ctx.resolve(pair.value, path), path };
  }

  keyNode(key: string): YamlNode | null {
    return (this.pairs.get(key)?.key as YamlNode | undefined) ?? null;
  }

  /** The field, or a report at this mapping that it is missing. */
  required(key: string, hint = ''): Field | undefined {
    const field = this.field(key);
    if (!field) this.ctx.report(this.node, this.path, `missing required key '${key}'${hint}`);
    return field;
  }

  /** Read an optional key with a reader; undefined when absent or invalid (reported). */
  opt<T>(key: string, read: (ctx: SchemaContext, field: Field) => T | undefined): T | undefined {
    const field = this.field(key);
    return field ? read(this.ctx, field) : undefined;
  }

  /** Read a required key with a reader; a missing key is reported at this mapping. */
  req<T>(key: string, read: (ctx: SchemaContext, field: Field) => T | undefined, hint = ''): T | undefined {
    const field = this.required(key, hint);
    return field ? read(this.ctx, field) : undefined;
  }

  /** Report every key not in `allowed`, suggesting the closest valid one; `hints` for well-known mistakes. */
  checkKeys(allowed: readonly string[], hints: Readonly<Record<string, string>> = {}): void {
    for (const key of this.pairs.keys()) {
      if (allowed.includes(key)) continue;
      const at = this.keyNode(key);
      const path = [...this.path, key];
      if (Object.hasOwn(hints, key)) {
        this.ctx.report(at, path, `unknown key '${key}': ${hints[key]}`);
        continue;
      }
      const near = closest(key, allowed);
      this.ctx.report(at, path, near ? `unknown key '${key}' (did you mean '${near}'?)` : `unknown key '${key}'; valid keys: ${allowed.join(', ')}`);
    }
  }
}

export function readMap(ctx: SchemaContext, field: Field, expected = 'a mapping (key: value)'): MapReader | undefined {
  return isMap(field.node) ? new MapReader(ctx, field.node, field.path) : wrongType(ctx, field, expected);
}

/** A list's items. With `allowOne`, a single value stands for a list of one (`to: on` for `to: [on]`). */
export function readList(ctx: SchemaContext, field: Field, allowOne = false): Field[] | undefined {
  if (isSeq(field.node)) {
    return field.node.items.map((item, i) => {
      const path = [...field.path, i];
      return { node: ctx.resolve(item, path), path };
    });
  }
  if (allowOne && field.node !== null && !(isScalar(field.node) && field.node.value === null)) return [field];
  return wrongType(ctx, field, 'a list');
}

/** A string. With `coerce`, a number or boolean is read as its text (a payload `1` is the text "1"). */
export function readString(ctx: SchemaContext, field: Field, coerce = false): string | undefined {
  if (isScalar(field.node)) {
    const v = field.node.value;
    if (typeof v === 'string') return v;
    if (coerce && (typeof v === 'number' || typeof v === 'boolean')) return field.node.source ?? String(v);
  }
  return wrongType(ctx, field, 'a string');
}

/** A non-empty string. */
export function readName(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text !== undefined && text.trim() === '') {
    ctx.report(field.node, field.path, 'must not be empty');
    return undefined;
  }
  return text;
}

export function readBoolean(ctx: SchemaContext, field: Field): boolean | undefined {
  if (isScalar(field.node) && typeof field.node.value === 'boolean') return field.node.value;
  return wrongType(ctx, field, 'true or false');
}

export function readNumber(ctx: SchemaContext, field: Field): number | undefined {
  const node = field.node;
  if (isScalar(node) && typeof node.value === 'number' && Number.isFinite(node.value)) return node.value;
  // A quoted number is text in YAML; say so, since the fix is one keystroke away.
  if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '' && Number.isFinite(Number(node.value))) {
    ctx.report(node, field.path, `expected a number, got the text ${JSON.stringify(node.value)} (write it without quotes)`);
    return undefined;
  }
  return wrongType(ctx, field, 'a number');
}

export function readInteger(ctx: SchemaContext, field: Field, min: number, max: number): number | undefined {
  const n = readNumber(ctx, field);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min || n > max) {
    ctx.report(field.node, field.path, `expected a whole number from ${min} to ${max}, got ${n}`);
    return undefined;
  }
  return n;
}

/** One of a fixed set of words; a near miss gets a suggestion. */
export function readChoice<T extends string>(ctx: SchemaContext, field: Field, choices: readonly T[]): T | undefined {
  const text = isScalar(field.node) && typeof field.node.value === 'string' ? field.node.value : undefined;
  if (text !== undefined && (choices as readonly string[]).includes(text)) return text as T;
  const near = text === undefined ? undefined : closest(text, choices);
  const suggestion = near ? ` (did you mean '${near}'?)` : '';
  ctx.report(field.node, field.path, `expected one of ${choices.join(', ')}, got ${describeNode(field.node)}${suggestion}`);
  return undefined;
}

/** The object without its undefined properties: optional keys are absent, not undefined. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}
