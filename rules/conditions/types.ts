// The contract of a condition kind: compiled once when the rule loads into a check that says yes or no and why,
// with the values it saw ("ourhome-…-temperature.temperature is 27.5, not above 28"). Adding a kind is one file
// and one line in index.ts.

import type { DeviceIndex } from '../engine/devices.js';
import type { Scope } from '../expressions/index.js';
import type { Condition } from '../types.js';

export interface ConditionContext {
  scope: Scope;
  devices: DeviceIndex;
  now: number;
  /** For time conditions: the hub's zone. */
  timezone: string;
  /** The id of the trigger that started the run (`condition: trigger`). */
  triggerId?: string;
}

export interface ConditionResult {
  ok: boolean;
  /** What was seen, in words: the trace shows it for a condition that was false. */
  why: string;
}

/** What a condition reads: a keep block re-evaluates on changes of these. */
export interface Reads {
  devices: string[];
  filters: string[];
  /** Reads something only known at run time (a computed filter): every change may matter. */
  any: boolean;
}

export interface CompiledCondition {
  readonly path: string;
  readonly kind: string;
  /** The answer can change with time alone (a time window, a `for`, now()): a wait re-checks it as time passes. */
  readonly timeDependent: boolean;
  readonly reads: Reads;
  /** Throws ExpressionError when an expression fails: the run fails, recorded in its trace. */
  check(ctx: ConditionContext): ConditionResult;
}

export type CompileChild = (condition: Condition, path: string) => CompiledCondition;

export interface ConditionKind<C extends Condition = Condition> {
  compile(config: C, path: string, child: CompileChild): CompiledCondition;
}

export function noReads(): Reads {
  return { devices: [], filters: [], any: false };
}

export function mergeReads(list: readonly Reads[]): Reads {
  const out = noReads();
  for (const r of list) {
    out.devices.push(...r.devices);
    out.filters.push(...r.filters);
    out.any ||= r.any;
  }
  return out;
}
