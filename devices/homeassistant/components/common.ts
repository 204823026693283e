import type { StateValue } from '../../../server/core/model.js';
import { numberFromReport } from '../../shared/capability.js';
import type { Fields } from '../../shared/fields.js';
import { propertySlug } from '../../shared/ids.js';
import { SKIP, isBlank, type Reading } from '../field.js';
import { TemplateError, compileTemplate, pyStr, type PyValue, type Template } from '../template/index.js';

// Reading the options every component shares (HA docs, "MQTT" integration: each platform's configuration
// variables) and the conversions from template output to typed values.

export interface BuildContext {
  component: string;
  objectId: string;
}

/** HA reads `payload_on: true` as the string "True" (cv.string on a Python bool): so do we. */
export function pyText(v: string | number | boolean): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}

export function word(r: Fields, key: string, fallback: string): string {
  return r.text(key, pyText) ?? fallback;
}

export function template(r: Fields, key: string): Template | undefined {
  const src = r.str(key);
  if (src === undefined || src === '') return undefined;
  try {
    return compileTemplate(src);
  } catch (err) {
    if (err instanceof TemplateError) return r.fail(key, `invalid template: ${err.message}`);
    throw err;
  }
}

export function qosRetain(r: Fields): { qos: 0 | 1 | 2; retain: boolean } {
  const qos = r.num('qos', { integer: true }) ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    r.fail('qos', `must be 0, 1 or 2, got ${qos}`);
    return { qos: 0, retain: false };
  }
  return { qos, retain: r.bool('retain') ?? false };
}

const VALUE_JSON_PATH = /^\s*\{\{-?\s*value_json((?:\.[A-Za-z_]\w*|\[\s*(['"])[^'"\]]+\2\s*\])+)\s*(\|[^{}]*)?-?\}\}\s*$/;

/**
 * The property a template reads: `{{ value_json.temperature }}` → `temperature`. Zigbee2MQTT and most bridges
 * write exactly this, so a device known through both conventions gets the same property names in both.
 */
export function propertyFromTemplate(t: Template | undefined): string | undefined {
  const m = t && VALUE_JSON_PATH.exec(t.source);
  if (!m) return undefined;
  const parts = [...m[1]!.matchAll(/\.([A-Za-z_]\w*)|\[\s*['"]([^'"\]]+)['"]\s*\]/g)].map((p) => p[1] ?? p[2]!);
  return propertySlug(parts.join('_')) || undefined;
}

/** The first usable name among the candidates (template path, device class, entity name, object id). */
export function pickName(...candidates: (string | undefined | null)[]): string {
  for (const c of candidates) {
    const slug = c ? propertySlug(c) : '';
    if (slug) return slug;
  }
  return 'value';
}

export function toNumber(v: PyValue): Reading {
  if (isBlank(v)) return SKIP;
  const n = typeof v === 'string' || typeof v === 'number' ? numberFromReport(v) : undefined;
  return n === undefined ? { problem: `${JSON.stringify(pyStr(v)).slice(0, 40)} is not a number` } : { value: n };
}

export function toBinary(on: string, off: string): (v: PyValue) => Reading {
  return (v) => {
    if (isBlank(v)) return SKIP;
    const s = pyStr(v);
    if (s === on) return { value: true };
    if (s === off) return { value: false };
    return { problem: `${JSON.stringify(s).slice(0, 40)} matches neither "${on}" nor "${off}"` };
  };
}

export function toEnum(values: string[]): (v: PyValue) => Reading {
  return (v) => {
    if (isBlank(v)) return SKIP;
    const s = pyStr(v);
    return values.includes(s) ? { value: s } : { problem: `${JSON.stringify(s).slice(0, 40)} is not one of ${values.join(', ')}` };
  };
}

export function toText(v: PyValue): Reading {
  return typeof v === 'symbol' ? SKIP : { value: pyStr(v) };
}

/** The device word for a commanded binary value: true/false, or either word itself. */
export function binaryWord(on: string, off: string): (v: StateValue) => string | undefined {
  return (v) => {
    if (v === true || (typeof v === 'string' && v.toLowerCase() === on.toLowerCase())) return on;
    if (v === false || (typeof v === 'string' && v.toLowerCase() === off.toLowerCase())) return off;
    return undefined;
  };
}

export function commandNumber(min?: number, max?: number): (v: StateValue) => number | undefined {
  return (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? numberFromReport(v) : undefined;
    if (n === undefined) return undefined;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return undefined;
    return n;
  };
}

export function commandChoice(values: string[]): (v: StateValue) => string | undefined {
  return (v) => (typeof v === 'string' && values.includes(v) ? v : undefined);
}
