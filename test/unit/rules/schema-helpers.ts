// Shared by the schema tests: errors in the form a user reads them, and a minimal valid rule to break.

import assert from 'node:assert/strict';
import { validateRuleText } from '../../../rules/schema/index.js';

/** Errors as `line:column path | message`, the way a user reads them. */
export function errorsOf(text: string, file = 'test-rule.yaml'): string[] {
  const result = validateRuleText(text, file);
  for (const e of result.errors) assert.equal(e.file, file);
  if (result.errors.length > 0) assert.equal(result.rule, undefined, 'no rule when there are errors');
  return result.errors.map((e) => `${e.line}:${e.column} ${e.path} | ${e.message}`);
}

export const lines = (...rows: string[]) => rows.join('\n') + '\n';

/** A valid rule to break one thing at a time. */
export const START = lines('triggers:', '  - trigger: start');
export const LOG = lines('actions:', '  - action: log', '    message: hi');

