// The whitelist: the only functions an expression can call. Each can also be used as a Jinja-style filter
// (`x | round(1)` is `round(x, 1)`). Adding a function is one entry here (or in aggregates.ts for host reads).

import { AGGREGATES } from './aggregates.js';
import type { CallContext, FunctionSpec } from './function-spec.js';
import { asNumber, describeValue, toText, type ExprValue } from './values.js';

function needNumber(value: ExprValue, ctx: CallContext, index = 0): number {
  const n = asNumber(value);
  if (n === undefined) ctx.fail(`${ctx.node.name}() needs a number, got ${describeValue(value)}`, index);
  return n;
}

function numeric(fn: (n: number) => number, name: string): FunctionSpec {
  return { min: 1, max: 1, usage: `${name}(x)`, call: (args, ctx) => fn(needNumber(args[0], ctx)) };
}

/** number()/float(): a number, or null when the value does not read as one (so `default(number(x), 0)` works). */
function toNumberOrNull(value: ExprValue): ExprValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return asNumber(value) ?? null;
}

const VALUE_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  number: { min: 1, max: 1, usage: 'number(x)', call: (args) => toNumberOrNull(args[0]) },
  float: { min: 1, max: 1, usage: 'float(x)', call: (args) => toNumberOrNull(args[0]) },
  int: {
    min: 1,
    max: 1,
    usage: 'int(x)',
    call(args) {
      const n = toNumberOrNull(args[0]);
      return typeof n === 'number' ? Math.trunc(n) : null;
    },
  },
  string: { min: 1, max: 1, usage: 'string(x)', call: (args, ctx) => ctx.budget.string(ctx.node, toText(args[0])) },
  round: {
    min: 1,
    max: 2,
    usage: 'round(x, digits = 0)',
    call(args, ctx) {
      const x = needNumber(args[0], ctx);
      const digits = args.length > 1 ? needNumber(args[1], ctx, 1) : 0;
      if (!Number.isInteger(digits) || digits < 0 || digits > 15) ctx.fail('round() takes 0 to 15 digits', 1);
      const factor = 10 ** digits;
      // Half away from zero, the same for negative numbers (Math.round alone rounds -2.5 to -2).
      return (Math.sign(x) * Math.round(Math.abs(x) * factor)) / factor;
    },
  },
  abs: numeric(Math.abs, 'abs'),
  floor: numeric(Math.floor, 'floor'),
  ceil: numeric(Math.ceil, 'ceil'),
  lower: { min: 1, max: 1, usage: 'lower(text)', call: (args) => toText(args[0]).toLowerCase() },
  upper: { min: 1, max: 1, usage: 'upper(text)', call: (args) => toText(args[0]).toUpperCase() },
  len: {
    min: 1,
    max: 1,
    usage: 'len(x)',
    call(args, ctx) {
      const x = args[0];
      if (typeof x === 'string' || Array.isArray(x)) return x.length;
      if (x !== null && typeof x === 'object') return Object.keys(x).length;
      return ctx.fail(`len() needs a string, list or mapping, got ${describeValue(x)}`, 0);
    },
  },
  /** The fallback when x is missing or null: `default(value_json.temperature, 0)`. */
  default: { min: 2, max: 2, usage: 'default(x, fallback)', call: (args) => args[0] ?? args[1] },
  json: {
    min: 1,
    max: 1,
    usage: 'json(x)',
    call: (args, ctx) => ctx.budget.string(ctx.node, JSON.stringify(args[0] ?? null)),
  },
};

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = Object.freeze({ ...VALUE_FUNCTIONS, ...AGGREGATES });

export function functionNames(): string[] {
  return Object.keys(FUNCTIONS).sort();
}

export function lookupFunction(name: string): FunctionSpec | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}
