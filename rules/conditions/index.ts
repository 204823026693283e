// The condition kinds: one file each, one line here. compileConditions gives the check a rule runs right after a
// trigger fires: all must hold, and the first that does not says why.

import type { Condition, ConditionType } from '../types.js';
import { andCondition } from './and.js';
import { expressionCondition } from './expression.js';
import { notCondition } from './not.js';
import { numericCondition } from './numeric.js';
import { orCondition } from './or.js';
import { stateCondition } from './state.js';
import { timeCondition } from './time.js';
import { triggerCondition } from './trigger.js';
import { mergeReads, type CompiledCondition, type ConditionContext, type ConditionKind, type ConditionResult } from './types.js';

export const CONDITION_KINDS: { [K in ConditionType]: ConditionKind<Extract<Condition, { condition: K }>> } = {
  state: stateCondition,
  numeric: numericCondition,
  time: timeCondition,
  and: andCondition,
  or: orCondition,
  not: notCondition,
  expression: expressionCondition,
  trigger: triggerCondition,
};

export function compileCondition(condition: Condition, path: string): CompiledCondition {
  return (CONDITION_KINDS[condition.condition] as ConditionKind).compile(condition, path, compileCondition);
}

export interface ConditionList {
  readonly items: readonly CompiledCondition[];
  readonly timeDependent: boolean;
  readonly reads: CompiledCondition['reads'];
  /** All hold? The first that does not is named with what it saw. Throws ExpressionError. */
  check(ctx: ConditionContext): ConditionResult & { path?: string };
}

export function compileConditions(list: readonly Condition[], path: string): ConditionList {
  const items = list.map((c, i) => compileCondition(c, `${path}[${i}]`));
  return {
    items,
    timeDependent: items.some((c) => c.timeDependent),
    reads: mergeReads(items.map((c) => c.reads)),
    check(ctx) {
      const held: string[] = [];
      for (const c of items) {
        const r = c.check(ctx);
        if (!r.ok) return { ok: false, why: `${c.path}: ${r.why}`, path: c.path };
        held.push(r.why);
      }
      return { ok: true, why: items.length ? held.join('; ') : 'no conditions' };
    },
  };
}

export type { CompiledCondition, ConditionContext, ConditionResult } from './types.js';
