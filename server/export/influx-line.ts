import type { StateValue } from '../core/model.js';

// InfluxDB line protocol (docs.influxdata.com "Line protocol"; VictoriaMetrics and QuestDB read the same):
//   <measurement>[,<tag>=<value>...] <field>=<value>[,...] <timestamp ns>
// Measurement: escape `,` and space. Tag keys and values: `,` `=` and space. String fields: `"` and `\`.
// A field keeps one type per measurement (InfluxDB refuses a batch that mixes them), so numbers and booleans
// (as 1/0, which VictoriaMetrics can store) go to the float field `value`, everything else to the string `text`.

export interface PointTags {
  id: string;
  name?: string;
  floor?: string;
  room?: string;
  property: string;
  unit?: string;
}

const tagOrder: (keyof PointTags)[] = ['id', 'name', 'floor', 'room', 'property', 'unit'];

function escapeMeasurement(s: string): string {
  return s.replace(/[\\, ]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** Line breaks cannot be escaped in a tag; a trailing backslash would escape the separator after it. */
function escapeTag(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\\$/, '').replace(/[,= ]/g, (c) => `\\${c}`);
}

function escapeString(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

/** The field part of a line, or undefined for a value with nothing to write (null). */
export function fieldFor(value: StateValue): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? `value=${value}` : undefined;
  if (typeof value === 'boolean') return `value=${value ? 1 : 0}`;
  if (value === null) return undefined;
  return `text="${escapeString(typeof value === 'string' ? value : JSON.stringify(value))}"`;
}

/** A line's measurement and tags: the same for every point of a series (the export makes it once per batch). */
export function seriesKey(measurement: string, tags: PointTags): string {
  let out = escapeMeasurement(measurement);
  for (const key of tagOrder) {
    const v = tags[key] === undefined ? '' : escapeTag(tags[key]!);
    if (v !== '') out += `,${key}=${v}`;
  }
  return out;
}

/** One line of a series, or undefined when the value has nothing to write. `ts` in ms; written in ns (every store's default). */
export function seriesLine(key: string, value: StateValue, ts: number): string | undefined {
  const field = fieldFor(value);
  return field === undefined ? undefined : `${key} ${field} ${Math.trunc(ts)}000000`;
}

/** One line, or undefined when the value has nothing to write. */
export function line(measurement: string, tags: PointTags, value: StateValue, ts: number): string | undefined {
  return seriesLine(seriesKey(measurement, tags), value, ts);
}
