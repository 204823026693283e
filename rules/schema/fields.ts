// Readers for the rule language's own kinds of value: durations, expressions, templates, topics, cron
// schedules, time zones, times of day and JSON values. Each checks what the engine will rely on later, so a
// rule that loads is a rule that can run.

import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import nodeCron from 'node-cron';
import type { StateValue } from '../../server/core/model.js';
import { parseDuration } from '../duration.js';
import { compileExpression, compileTemplate, isExpressionError } from '../expressions/index.js';
import { scanTemplate } from '../expressions/template-scan.js';
import { checkPublishTopic, parseTopicPattern, type TopicPattern } from '../topics.js';
import { parseStateFilter } from '../state-filter.js';
import type { SchemaContext } from './context.js';
import { describeNode, readMap, readNumber, readString, wrongType, type Field } from './reader.js';

/** Report an expression/template error at its column inside the YAML scalar. */
function reportCompileError(ctx: SchemaContext, field: Field, err: unknown): undefined {
  if (!isExpressionError(err)) throw err;
  ctx.report(field.node, field.path, err.message, err.offset);
  return undefined;
}

const DURATION_PARTS: Record<string, number> = { days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1 };

/** `5m`, `1h30m`, `00:05:00`, seconds, or HA's `{minutes: 5}`; `signed` for offsets. Milliseconds. */
export function readDuration(ctx: SchemaContext, field: Field, signed = false): number | undefined {
  const node = field.node;
  if (isMap(node)) {
    const map = readMap(ctx, field)!;
    map.checkKeys(Object.keys(DURATION_PARTS));
    let ms = 0;
    for (const key of map.keys()) {
      const n = Object.hasOwn(DURATION_PARTS, key) ? readNumber(ctx, map.field(key)!) : undefined;
      if (n !== undefined) ms += n * DURATION_PARTS[key]!;
    }
    return checked(ctx, field, Math.round(ms) / 1000, signed);
  }
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return checked(ctx, field, node.value, signed);
  return wrongType(ctx, field, 'a duration (30s, 5m, 1h30m, 00:05:00 or seconds)');
}

function checked(ctx: SchemaContext, field: Field, input: string | number, signed: boolean): number | undefined {
  const result = parseDuration(input, signed);
  if (result.ok) return result.ms;
  ctx.report(field.node, field.path, result.message);
  return undefined;
}

/** An expression; a `{{ }}` wrapper is allowed. Syntax, unknown functions and bad literal filters are caught here. */
export function readExpression(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  try {
    compileExpression(text);
    return text;
  } catch (err) {
    return reportCompileError(ctx, field, err);
  }
}

/** Text with `{{ }}` parts. A YAML flow mapping that starts with `{{` is an unquoted template: say so. */
export function readTemplate(ctx: SchemaContext, field: Field): string | undefined {
  if (isUnquotedTemplate(ctx, field.node)) return reportUnquoted(ctx, field);
  const text = readString(ctx, field, true);
  if (text === undefined) return undefined;
  try {
    compileTemplate(text);
    return text;
  } catch (err) {
    return reportCompileError(ctx, field, err);
  }
}

function isUnquotedTemplate(ctx: SchemaContext, node: YamlNode | null): boolean {
  return isMap(node) && node.range !== undefined && node.range !== null && ctx.source.startsWith('{{', node.range[0]);
}

function reportUnquoted(ctx: SchemaContext, field: Field): undefined {
  ctx.report(field.node, field.path, 'a template that starts with {{ must be quoted: "{{ ... }}"');
  return undefined;
}

/** Any JSON value whose strings are templates (payloads, set values). Every string leaf is compiled. */
export function readTemplateValue(ctx: SchemaContext, field: Field): StateValue | undefined {
  if (isUnquotedTemplate(ctx, field.node)) return reportUnquoted(ctx, field);
  const value = readStateValue(ctx, field, (leaf) => {
    const node = leaf.node;
    if (isScalar(node) && typeof node.value === 'string') {
      try {
        compileTemplate(node.value);
      } catch (err) {
        reportCompileError(ctx, leaf, err);
        return false;
      }
    }
    return true;
  });
  return value;
}

/** A JSON value as written. `visit` sees each scalar leaf and may refuse it (after reporting). */
export function readStateValue(ctx: SchemaContext, field: Field, visit?: (leaf: Field) => boolean): StateValue | undefined {
  let ok = true;
  const walk = (f: Field): StateValue => {
    const node = f.node;
    if (node === null) return null;
    if (isMap(node)) {
      const out: { [key: string]: StateValue } = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof key !== 'string' && typeof key !== 'number') {
          ok = false;
          ctx.report(pair.key as YamlNode, f.path, `keys must be plain words, got ${describeNode(pair.key as YamlNode)}`);
          continue;
        }
        const path = [...f.path, String(key)];
        // defineProperty, not assignment: a key "__proto__" must stay a key, not replace the prototype.
        Object.defineProperty(out, String(key), { value: walk({ node: ctx.resolve(pair.value, path), path }), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk({ node: ctx.resolve(item, [...f.path, i]), path: [...f.path, i] }));
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
        if (visit && !visit(f)) ok = false;
        return v;
      }
    }
    ok = false;
    ctx.report(node, f.path, `expected a JSON value (text, number, true/false, null, list or mapping), got ${describeNode(node)}`);
    return null;
  };
  const value = walk(field);
  return ok ? value : undefined;
}

/** A trigger topic: MQTT filter with `{name}` levels. */
export function readTopicPattern(ctx: SchemaContext, field: Field): TopicPattern | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  const parsed = parseTopicPattern(text);
  if (parsed.ok) return parsed.pattern;
  ctx.report(field.node, field.path, `invalid topic filter ${JSON.stringify(text)}: ${parsed.message}`, parsed.offset);
  return undefined;
}

/** A topic filter or `area:FLOOR/ROOM`, as aggregates take. */
export function readStateFilter(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  const parsed = parseStateFilter(text);
  if (parsed.ok) return text;
  ctx.report(field.node, field.path, parsed.message, parsed.offset);
  return undefined;
}

/** A topic to publish to: a template whose text parts must not hold wildcards [MQTT-3.3.2-2]. */
export function readPublishTopic(ctx: SchemaContext, field: Field): string | undefined {
  const text = readTemplate(ctx, field);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    ctx.report(field.node, field.path, 'a topic must not be empty');
    return undefined;
  }
  // The rendered parts are checked when the action runs; the written parts can be checked now.
  let offset = 0;
  for (const part of scanTemplate(text)) {
    if (part.kind === 'expression') {
      offset = part.end + 2;
      continue;
    }
    const problem = checkPublishTopic(part.text);
    if (problem) {
      ctx.report(field.node, field.path, `invalid topic ${JSON.stringify(text)}: ${problem.message}`, offset + problem.offset);
      return undefined;
    }
    offset += part.text.length;
  }
  return text;
}

/** node-cron syntax: 5 fields, or 6 with seconds first. Checked with node-cron itself, the scheduler we run. */
export function readCron(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  if (nodeCron.validate(text)) return text;
  const detail = nodeCron.validateDetailed(text).errors[0];
  const why = !detail ? '' : detail.field === 'expression' ? `: ${detail.message}` : `: the ${detail.field} field '${detail.value}' is out of range or malformed`;
  ctx.report(field.node, field.path, `invalid cron expression ${JSON.stringify(text)}${why} (format: minute hour day-of-month month day-of-week)`);
  return undefined;
}

/** An IANA time zone the runtime knows (Intl refuses unknown ones). */
export function readTimezone(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: text });
    return text;
  } catch {
    ctx.report(field.node, field.path, `unknown time zone ${JSON.stringify(text)} (use a name like Europe/Amsterdam or UTC)`);
    return undefined;
  }
}

/** `HH:MM` or `HH:MM:SS`, 24-hour. Normalised to HH:MM:SS. */
export function readTimeOfDay(ctx: SchemaContext, field: Field): string | undefined {
  const text = readString(ctx, field);
  if (text === undefined) return undefined;
  const m = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(text);
  if (!m) {
    ctx.report(field.node, field.path, `invalid time ${JSON.stringify(text)}: use HH:MM or HH:MM:SS (24-hour)`);
    return undefined;
  }
  return `${m[1]!.padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}`;
}
