// The shape of a whitelisted function. Functions get evaluated arguments and a context that can charge steps,
// bound sizes and fail with a coded error at the right argument.

import type { StateValue } from '../../server/core/model.js';
import type { NodeOf } from './ast.js';
import type { Budget } from './budget.js';
import type { ExpressionHost } from './host.js';
import type { ExprValue } from './values.js';

export interface CallContext {
  readonly host: ExpressionHost;
  readonly budget: Budget;
  readonly node: NodeOf<'call'>;
  /** Throw a type error pointing at argument `index` (or at the call). */
  fail(message: string, index?: number): never;
}

export interface LiteralProblem {
  message: string;
  /** Offset inside the literal's text, when the problem has a place there. */
  offset?: number;
}

export interface FunctionSpec {
  min: number;
  max: number;
  /** How to call it, for error messages: `round(x, digits?)`. */
  usage: string;
  call(args: ExprValue[], ctx: CallContext): ExprValue;
  /** Checked at compile time for each argument written as a literal (filters are usually literal strings). */
  checkLiteral?(index: number, value: StateValue, argCount: number): LiteralProblem | undefined;
}
