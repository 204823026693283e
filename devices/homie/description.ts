import type { Capability, StateValue } from '../../server/core/model.js';
import { accessOf } from '../shared/capability.js';
import { MAX_CAPABILITIES_PER_DEVICE } from '../shared/limits.js';
import { isObject, parseJson, quote, typeName, type Read } from '../shared/payload.js';

// Homie v5 `$description` (homieiot/convention, convention.md "Device description"): one JSON document with the
// device's nodes and their properties (`datatype`, `format`, `settable`, `retained`, `unit`) → capabilities.
// Non-retained properties are momentary events (a button press), so they become event capabilities.

export const DATATYPES = ['integer', 'float', 'boolean', 'string', 'enum', 'color', 'datetime', 'duration', 'json'] as const;
export type Datatype = (typeof DATATYPES)[number];
export const HOMIE_ID = /^[a-z0-9][a-z0-9-]*$/;

export interface HomieProperty {
  node: string;
  id: string;
  datatype: Datatype;
  capability: Capability;
}

export interface Description {
  name?: string;
  properties: HomieProperty[];
  problems: string[];
}

export function readDescription(doc: Record<string, unknown>): Description {
  const out: Description = { properties: [], problems: [] };
  if (typeof doc.homie !== 'string' || !doc.homie.startsWith('5.')) {
    out.problems.push(`homie: expected a 5.x version, got ${JSON.stringify(doc.homie ?? null)}`);
    return out;
  }
  if (typeof doc.name === 'string') out.name = doc.name;
  const nodes = doc.nodes ?? {};
  if (!isObject(nodes)) {
    out.problems.push(`nodes: expected an object, got ${typeName(nodes)}`);
    return out;
  }
  const found: Omit<HomieProperty, 'capability'>[] = [];
  const specs: Record<string, unknown>[] = [];
  for (const [node, def] of Object.entries(nodes)) {
    if (!HOMIE_ID.test(node)) out.problems.push(`nodes.${node}: ids use only a-z, 0-9 and -`);
    else if (!isObject(def) || (def.properties !== undefined && !isObject(def.properties))) out.problems.push(`nodes.${node}.properties: expected an object`);
    else for (const [id, spec] of Object.entries(def.properties ?? {})) {
      const path = `nodes.${node}.properties.${id}`;
      if (!HOMIE_ID.test(id)) out.problems.push(`${path}: ids use only a-z, 0-9 and -`);
      else if (!isObject(spec)) out.problems.push(`${path}: expected an object`);
      else if (!(DATATYPES as readonly unknown[]).includes(spec.datatype)) out.problems.push(`${path}.datatype: expected one of ${DATATYPES.join(', ')}`);
      else if (found.length >= MAX_CAPABILITIES_PER_DEVICE) return { ...out, problems: [...out.problems, `more than ${MAX_CAPABILITIES_PER_DEVICE} properties`] };
      else {
        found.push({ node, id, datatype: spec.datatype as Datatype });
        specs.push(spec);
      }
    }
  }
  // A property id names the capability; when two nodes share it, both are qualified by their node.
  const count = new Map<string, number>();
  for (const p of found) count.set(p.id, (count.get(p.id) ?? 0) + 1);
  found.forEach((p, i) => {
    const property = count.get(p.id)! > 1 ? `${p.node}-${p.id}` : p.id;
    out.properties.push({ ...p, capability: capabilityOf(property, p.datatype, specs[i]!) });
  });
  return out;
}

function capabilityOf(property: string, datatype: Datatype, spec: Record<string, unknown>): Capability {
  const settable = spec.settable === true;
  const retained = spec.retained !== false;
  const format = typeof spec.format === 'string' ? spec.format : undefined;
  const unit = typeof spec.unit === 'string' && spec.unit !== '' ? { unit: spec.unit } : {};
  const access = accessOf(true, settable);
  if (!retained) return { property, kind: 'event', access, ...(datatype === 'enum' && format ? { values: format.split(',') } : {}) };
  switch (datatype) {
    case 'boolean':
      return { property, kind: 'binary', access, on: 'true', off: 'false' };
    case 'integer':
    case 'float':
      return { property, kind: 'numeric', access, ...unit, ...range(format, datatype === 'integer') };
    case 'enum':
      return { property, kind: 'enum', access, values: format ? format.split(',') : [] };
    default:
      return { property, kind: 'text', access, ...unit };
  }
}

/** `min:max[:step]`, either bound may be empty (Homie v5 "Formats"). */
function range(format: string | undefined, integer: boolean): Pick<Capability, 'min' | 'max' | 'step'> {
  const out: Pick<Capability, 'min' | 'max' | 'step'> = integer ? { step: 1 } : {};
  const parts = format?.split(':') ?? [];
  const num = (s: string | undefined) => (s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);
  const [min, max, step] = [num(parts[0]), num(parts[1]), num(parts[2])];
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  if (step !== undefined) out.step = step;
  return out;
}

/** A property value as the hub keeps it, or why the payload is not of the property's datatype. */
export function parseValue(p: HomieProperty, text: string): Read<StateValue> {
  // Homie v5: an empty string value is sent as one 0x00 byte (a zero-length payload deletes a retained message).
  const raw = text === '\u0000' ? '' : text;
  const bad = (expected: string): Read<StateValue> => ({ ok: false, reason: `expected ${expected}, got ${quote(text)}` });
  switch (p.datatype) {
    case 'boolean':
      return raw === 'true' || raw === 'false' ? { ok: true, value: raw === 'true' } : bad('true or false');
    case 'integer':
      return /^-?\d+$/.test(raw) ? { ok: true, value: Number(raw) } : bad('an integer');
    case 'float': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      return Number.isFinite(n) ? { ok: true, value: n } : bad('a number');
    }
    case 'enum': {
      const values = p.capability.values ?? [];
      return values.length === 0 || values.includes(raw) ? { ok: true, value: raw } : bad(`one of ${values.join(', ')}`);
    }
    case 'json': {
      const json = parseJson(raw);
      return json.ok ? { ok: true, value: json.value as StateValue } : bad('JSON');
    }
    default:
      return { ok: true, value: raw };
  }
}

/** The `/set` payload for a hub value; undefined when the value is not of the property's datatype. */
export function formatValue(p: HomieProperty, value: StateValue): string | undefined {
  switch (p.datatype) {
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : value === 'true' || value === 'false' ? value : undefined;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && inRange(p, value) ? String(value) : undefined;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) && inRange(p, value) ? String(value) : undefined;
    case 'enum':
      return typeof value === 'string' && (p.capability.values ?? []).includes(value) ? value : undefined;
    case 'json':
      return JSON.stringify(value);
    default:
      return typeof value === 'string' ? (value === '' ? '\u0000' : value) : undefined;
  }
}

function inRange(p: HomieProperty, n: number): boolean {
  const { min, max } = p.capability;
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}
