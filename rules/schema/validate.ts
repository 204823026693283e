// Rule file text in, typed rule and every problem out. YAML syntax errors stop here (the structure of a broken
// document is guesswork, and guessed errors would bury the real one); everything else is reported at once.

import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Rule } from '../types.js';
import { SchemaContext, type RuleError } from './context.js';
import { readRule } from './rule.js';

export interface ValidationResult {
  /** Present only when there are no errors; deeply frozen. */
  rule?: Rule;
  errors: RuleError[];
}

const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The id a rule file gets when it does not say: its file name without `.yaml`/`.yml`, when that is a valid id. */
export function idFromFile(file: string): string | undefined {
  const name = basename(file).replace(/\.ya?ml$/i, '');
  return RULE_ID.test(name) ? name : undefined;
}

export function validateRuleText(text: string, file = 'rule.yaml'): ValidationResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx = new SchemaContext(file, text, doc, lines);

  const syntax = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
  for (const err of doc.errors) {
    const offset = err.pos[0];
    if (err.code === 'DUPLICATE_KEY') {
      const key = /^[^:\n]*/.exec(text.slice(offset))![0].trim();
      ctx.reportAt(offset, key, `duplicate key '${key}'`);
    } else if (err.code === 'MULTIPLE_DOCS') {
      ctx.reportAt(offset, '', "a rule file holds one YAML document: remove the second '---' part");
    } else if (/call stack/i.test(err.message)) {
      // The yaml parser recursed out of stack on a pathologically nested document.
      ctx.reportAt(offset, '', 'the file is nested too deeply');
    } else {
      ctx.reportAt(offset, '', `YAML syntax: ${err.message}`);
    }
  }
  if (syntax.length > 0) return { errors: ctx.errors };

  if (doc.contents === null || (doc.contents as { value?: unknown }).value === null) {
    ctx.reportAt(0, '', 'the file is empty: a rule needs at least triggers and actions');
    return { errors: ctx.errors };
  }
  const rule = readRule(ctx, { node: ctx.resolve(doc.contents, []), path: [] }, idFromFile(file));
  if (ctx.hasErrors || !rule) return { errors: ctx.errors };
  return { rule: deepFreeze(rule), errors: [] };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
