// condition: expression — truthy, in the expression language. A plain string in a condition list is this.

import { compileExpression, truthy } from '../expressions/index.js';
import type { ExpressionCondition } from '../types.js';
import { seenValues } from './seen.js';
import type { ConditionKind } from './types.js';

export const expressionCondition: ConditionKind<ExpressionCondition> = {
  compile(config, path) {
    const expr = compileExpression(config.expression);
    const refs = expr.references;
    return {
      path, kind: 'expression', timeDependent: refs.usesNow,
      reads: { devices: refs.states.map((s) => s.ref), filters: [...refs.filters], any: refs.dynamic },
      check(ctx) {
        const ok = truthy(expr.evaluate(ctx.scope, ctx.devices));
        const seen = seenValues(refs, ctx.scope, ctx.devices);
        return { ok, why: `${config.expression} was ${ok ? 'true' : 'false'}${seen ? ` (${seen})` : ''}` };
      },
    };
  },
};
