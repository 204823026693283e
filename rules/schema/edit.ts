// Editing rule files without destroying them (the complaint every hub's users have about UI editors): the file
// is parsed as a yaml Document, only the values that changed are replaced, and the document is written back
// with its comments, blank lines, quoting and flow/block styles. Unchanged parts are not touched.

import { Document, isMap, isScalar, isSeq, parseDocument, visit, type Node as YamlNode, type Scalar, type ToStringOptions } from 'yaml';
import { RumahError, ErrorCodes } from '../../server/core/errors.js';
import { formatDuration } from '../duration.js';
import type { Rule } from '../types.js';
import { RULE_KEYS } from './rule.js';
import { validateRuleText } from './validate.js';

export type YamlPath = ReadonlyArray<string | number>;

/** Keys whose numbers are durations in the model (milliseconds) and text in files (`5m`). */
const DURATION_KEYS = new Set(['for', 'offset', 'duration', 'timeout']);

/**
 * Lists the model always holds but files may write as one value (`to: on`): written as one value when they hold
 * one, keyed by the kind of the item they belong to.
 */
const ONE_OR_MORE: Record<string, readonly string[]> = {
  'trigger:state': ['from', 'to'],
  'condition:state': ['state'],
  'condition:trigger': ['id'],
  'condition:time': ['weekday'],
};

/** The rule as it is written in a file: durations as text (`1h30m`); a copy, the rule itself is untouched. */
export function toYamlValue(rule: Rule): Record<string, unknown> {
  const convert = (value: unknown, key: string | undefined): unknown => {
    // `wait.for` is a condition, never a number: only numbers at these keys are durations.
    if (typeof value === 'number' && key !== undefined && DURATION_KEYS.has(key)) return formatDuration(value);
    if (Array.isArray(value)) return value.map((item) => convert(item, undefined));
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const kind = typeof record.trigger === 'string' ? `trigger:${record.trigger}` : typeof record.condition === 'string' ? `condition:${record.condition}` : '';
      const single = ONE_OR_MORE[kind] ?? [];
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) {
        if (v === undefined) continue;
        const written = single.includes(k) && Array.isArray(v) && v.length === 1 && (v[0] === null || typeof v[0] !== 'object') ? v[0] : convert(v, k);
        // defineProperty: a payload key "__proto__" stays a key.
        Object.defineProperty(out, k, { value: written, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  };
  return convert(rule, undefined) as Record<string, unknown>;
}

/**
 * Words that YAML 1.1 readers (PyYAML, Home Assistant, many editors) take as booleans or null are quoted when
 * written, so `payload: "ON"` never turns into `payload: ON` that another tool reads as true.
 */
const YAML11_WORDS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

function quoteAmbiguous(node: YamlNode): YamlNode {
  const fix = (scalar: Scalar): void => {
    if (typeof scalar.value === 'string' && YAML11_WORDS.test(scalar.value)) scalar.type = 'QUOTE_DOUBLE';
  };
  if (isScalar(node)) fix(node);
  else visit(node, { Scalar: (_key, scalar) => fix(scalar) });
  return node;
}

function createNode(doc: Document, value: unknown): YamlNode {
  return quoteAmbiguous(doc.createNode(value) as YamlNode);
}

/** A new rule file. Empty optional lists are left out so the file shows only what the rule says. */
export function ruleToYaml(rule: Rule): string {
  const form = toYamlValue(rule);
  for (const key of ['conditions', 'actions', 'triggers']) {
    if (Array.isArray(form[key]) && (form[key] as unknown[]).length === 0 && (key === 'conditions' || rule.keep)) delete form[key];
  }
  const doc = new Document();
  doc.contents = createNode(doc, form) as Document['contents'];
  return doc.toString(STRING_OPTIONS);
}

const STRING_OPTIONS: ToStringOptions = { lineWidth: 0, indent: 2, indentSeq: true };

/** The user's indentation habits, so that rewritten parts look like the rest of the file. */
function styleOf(text: string): ToStringOptions {
  const indents = [...text.matchAll(/^( +)\S/gm)].map((m) => m[1]!.length);
  const indent = indents.length > 0 ? Math.min(...indents) : 2;
  // A list directly below its key without indentation (`triggers:\n- trigger: ...`).
  const indentSeq = !/^[^\s#][^\n]*:[ \t]*(#[^\n]*)?\n-[ \n]/m.test(text);
  // `{a: 1}` or `{ a: 1 }` in flow collections: as the first one in the file (a `{{` template is not one).
  const flow = /(?:^|:|-)[ \t]+[[{](?![{])(.)/m.exec(text);
  const flowCollectionPadding = flow ? flow[1] === ' ' : true;
  return { lineWidth: 0, indent: Math.max(1, Math.min(indent, 8)), indentSeq, flowCollectionPadding };
}

function parseForEdit(text: string): Document.Parsed {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    // Editing a broken document would guess at its structure; the user fixes the text first.
    throw new RumahError(ErrorCodes.INVALID_VALUE, `the rule file has YAML errors (${doc.errors[0]!.message}); fix the text before editing it`);
  }
  return doc;
}

/**
 * Set one value (or remove it, with undefined), e.g. `setRuleValue(text, ['enabled'], false)`. The value is
 * written as given, in file form (durations as text).
 */
export function setRuleValue(text: string, path: YamlPath, value: unknown): string {
  const doc = parseForEdit(text);
  if (value === undefined) doc.deleteIn(path);
  else writeValue(doc, path, value, undefined);
  return doc.toString(styleOf(text));
}

/**
 * Make the file hold `rule`, writing only what differs from the rule the file holds now. A file that does not
 * validate is compared as plain YAML, so it can still be repaired from the dashboard.
 */
export function updateRuleText(text: string, rule: Rule, file = 'rule.yaml'): string {
  const doc = parseForEdit(text);
  const current = validateRuleText(text, file).rule;
  const before = current ? toYamlValue(current) : doc.toJS();
  const after = toYamlValue(rule);
  // Unchanged: the text as it was, byte for byte (the writer would normalise spacing around comments).
  if (sameValue(before, after)) return text;
  apply(doc, [], before, after);
  return doc.toString(styleOf(text));
}

function apply(doc: Document.Parsed, path: YamlPath, before: unknown, after: unknown): void {
  if (sameValue(before, after)) return;
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isPlain(before) && isPlain(after) && isMap(node)) {
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) doc.deleteIn([...path, key]);
    for (const [key, value] of Object.entries(after)) {
      if (Object.hasOwn(before, key) && sameValue(before[key], value)) continue;
      if (Object.hasOwn(before, key) && parentHas(doc, [...path, key])) apply(doc, [...path, key], before[key], value);
      else writeValue(doc, [...path, key], value, Object.keys(after));
    }
    // Keys that only changed value keep their place; a key that was a default (absent) is placed by order.
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && isSeq(node)) {
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) apply(doc, [...path, i], before[i], after[i]);
    for (let i = before.length - 1; i >= after.length; i--) doc.deleteIn([...path, i]);
    for (let i = common; i < after.length; i++) node.add(createNode(doc, after[i]));
    return;
  }
  writeValue(doc, path, after, undefined);
}

/**
 * Replace the value at path. A scalar replaced by a scalar keeps its node (and so its comment and quoting);
 * a new key goes where `order` puts it among its siblings, not at the end.
 */
function writeValue(doc: Document.Parsed, path: YamlPath, value: unknown, order: readonly string[] | undefined): void {
  const existing = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isScalar(existing) && (value === null || typeof value !== 'object')) {
    if (typeof existing.value !== typeof value) existing.type = undefined;
    existing.value = value;
    quoteAmbiguous(existing);
    return;
  }
  // Top-level keys of a rule have a natural order even when the caller gives none.
  order ??= path.length === 1 ? RULE_KEYS : undefined;
  const parent = path.length <= 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const key = path[path.length - 1];
  if (existing === undefined && order && isMap(parent) && typeof key === 'string') {
    const rank = order.indexOf(key);
    const at = parent.items.findIndex((pair) => {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      return order.indexOf(k) > rank;
    });
    const pair = doc.createPair(key, createNode(doc, value));
    if (at < 0) parent.items.push(pair);
    else parent.items.splice(at, 0, pair);
    return;
  }
  doc.setIn(path, createNode(doc, value));
}

/** The key is really in the file (a default such as `enabled: true` is in the rule but not in the text). */
function parentHas(doc: Document.Parsed, path: YamlPath): boolean {
  return doc.hasIn(path);
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}
