// The names a message gives a rule: `topic`, `payload` (text), `value` (a number when the payload reads as one,
// else the text), `value_json` (the parsed payload, when it is JSON), and the `{named}` topic levels.

import type { ExprValue } from '../expressions/index.js';
import { numericString } from '../expressions/values.js';
import type { TopicPattern } from '../topics.js';
import type { Vars } from './types.js';
import { parseDeviceJson } from '../../server/core/device-json.js';

export function payloadVars(payload: string): Vars {
  const number = numericString(payload);
  const vars: Vars = { payload, value: number ?? payload };
  const first = payload.trimStart()[0];
  // Only objects, lists and quoted strings are worth a parse attempt: most payloads are words and numbers.
  if (first === '{' || first === '[' || first === '"') {
    try {
      vars.value_json = parseDeviceJson(payload) as ExprValue;
    } catch {
      /* not JSON: value_json stays missing */
    }
  } else if (number !== undefined) {
    vars.value_json = number;
  }
  return vars;
}

/** The named levels of a pattern bound to the message's levels. */
export function topicVars(pattern: TopicPattern, levels: readonly string[]): Vars {
  const vars: Vars = {};
  pattern.bindings.forEach((name, i) => {
    if (name !== undefined) vars[name] = levels[i];
  });
  return vars;
}
