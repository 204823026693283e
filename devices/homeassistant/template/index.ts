import type { Node } from './ast.js';
import { MAX_TEMPLATE_INPUT_CHARS } from '../../shared/limits.js';
import { MAX_OUTPUT, MAX_STEPS, MAX_WORK } from './budget.js';
import { Evaluator } from './evaluate.js';
import { parseTemplate } from './parser.js';
import { TemplateError, UNDEFINED, fromJson, pyStr, type PyValue } from './values.js';
import { parseDeviceJson } from '../../../server/core/device-json.js';

// The Jinja subset that devices put in HA discovery `value_template` / `command_template` (see
// docs/conventions.md): `value`, `value_json.x`, `value_json['x']`, filters float, int,
// round(n), default(x), lower, upper..., `iif(a, b, c)`, `'a' if x else 'b'`, comparisons and `~` concatenation.
// Templates are parsed once, when the discovery config arrives, and evaluated per message without any
// code generation: no eval, no Function, no vm.

export { MAX_OUTPUT, MAX_STEPS, MAX_WORK, TemplateError, UNDEFINED, pyStr, type PyValue };

export interface Template {
  readonly source: string;
  /**
   * Evaluates with the given variables; throws TemplateError (bad input, unsupported name, over its budget of
   * steps or work, a value longer than MAX_OUTPUT: see budget.ts).
   */
  render(vars: Record<string, PyValue>, maxSteps?: number, maxWork?: number): PyValue;
}

export function compileTemplate(source: string): Template {
  const nodes: Node[] = parseTemplate(source);
  return {
    source,
    render: (vars, maxSteps = MAX_STEPS, maxWork = MAX_WORK) => new Evaluator(vars, maxSteps, maxWork).run(nodes),
  };
}

/**
 * The variables HA gives a value template: `value` is the payload text, `value_json` the payload parsed as
 * JSON when it is JSON (otherwise undefined, so `value_json.x` fails as it does in HA).
 */
export function payloadVars(payload: string, json?: unknown): Record<string, PyValue> {
  // Checked before any parsing: a template's work grows with its input, so the input is capped (budget.ts).
  if (payload.length > MAX_TEMPLATE_INPUT_CHARS) {
    throw new TemplateError(`payload of ${payload.length} characters is over the ${MAX_TEMPLATE_INPUT_CHARS}-character limit for templates`);
  }
  let parsed: PyValue = UNDEFINED;
  if (json !== undefined) parsed = fromJson(json);
  else {
    try {
      parsed = fromJson(parseDeviceJson(payload));
    } catch {
      // Not JSON: value_json stays undefined.
    }
  }
  return { value: payload, value_json: parsed };
}
