// A value to send whose strings are templates (a publish payload, a set value, a keep value): every string leaf
// is compiled once and rendered on each run; numbers, booleans and null pass through.

import type { StateValue } from '../../server/core/model.js';
import type { EvaluationLimits } from './budget.js';
import type { ExpressionHost } from './host.js';
import { emptyReferences, type References } from './references.js';
import { compileTemplate } from './template.js';
import type { Scope } from './values.js';

export interface CompiledTemplateValue {
  readonly references: References;
  render(scope: Scope, host: ExpressionHost, limits?: Partial<EvaluationLimits>): StateValue;
}

type Renderer = (scope: Scope, host: ExpressionHost, limits?: Partial<EvaluationLimits>) => StateValue;

export function compileTemplateValue(value: StateValue): CompiledTemplateValue {
  const references = emptyReferences();
  const merge = (r: References): void => {
    for (const f of r.filters) if (!references.filters.includes(f)) references.filters.push(f);
    for (const n of r.names) if (!references.names.includes(n)) references.names.push(n);
    references.states.push(...r.states);
    references.dynamic ||= r.dynamic;
    references.usesNow ||= r.usesNow;
  };
  const build = (v: StateValue): Renderer => {
    if (typeof v === 'string') {
      const template = compileTemplate(v);
      merge(template.references);
      // A missing value inside a payload is sent as null: JSON has no "missing".
      return template.isStatic ? () => v : (scope, host, limits) => template.render(scope, host, limits) ?? null;
    }
    if (Array.isArray(v)) {
      const items = v.map(build);
      return (scope, host, limits) => items.map((item) => item(scope, host, limits));
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).map(([k, item]) => [k, build(item)] as const);
      return (scope, host, limits) => {
        const out: { [key: string]: StateValue } = {};
        // defineProperty, not assignment: a payload key "__proto__" must stay a key, not replace the prototype.
        for (const [k, item] of entries) {
          Object.defineProperty(out, k, { value: item(scope, host, limits), enumerable: true, writable: true, configurable: true });
        }
        return out;
      };
    }
    return () => v;
  };
  return { references, render: build(value) };
}
