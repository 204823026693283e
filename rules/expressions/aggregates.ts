// Functions that read the hub's states through the ExpressionHost: aggregates over a topic filter or an area,
// one device's state, and the clock. Each state an aggregate reads costs a step, so a filter over thousands of
// states cannot run unbounded.

import { onOffOf } from '../on-off.js';
import { parseStateFilter } from '../state-filter.js';
import type { CallContext, FunctionSpec, LiteralProblem } from './function-spec.js';
import type { StateMatch } from './host.js';
import { asNumber, looseEquals, type ExprValue } from './values.js';

function checkFilterLiteral(value: unknown): LiteralProblem | undefined {
  if (typeof value !== 'string') return { message: 'the filter must be a string: a topic filter or area:FLOOR/ROOM' };
  const parsed = parseStateFilter(value);
  return parsed.ok ? undefined : { message: parsed.message, offset: parsed.offset };
}

function statesOf(args: ExprValue[], ctx: CallContext): readonly StateMatch[] {
  const filter = args[0];
  const problem = checkFilterLiteral(filter);
  if (problem) ctx.fail(problem.message, 0);
  const matches = ctx.host.matchStates(filter as string);
  ctx.budget.charge(ctx.node, matches.length);
  return matches;
}

/**
 * Does a state match the wanted value? 'on'/'off' (any case, also 'true'/'false') and booleans compare by
 * on-ness, so `count(f, 'on')` counts ON, on, true and 1 alike; anything else compares with ==.
 */
function matchesWanted(match: StateMatch, wanted: ExprValue): boolean {
  const wantOn = typeof wanted === 'string' || typeof wanted === 'boolean' ? onOffOf(wanted) : undefined;
  if (wantOn !== undefined) return (match.isOn ?? onOffOf(match.value)) === wantOn;
  return looseEquals(match.value, wanted);
}

function numbersOf(matches: readonly StateMatch[]): number[] {
  return matches.map((m) => asNumber(m.value)).filter((n): n is number => n !== undefined);
}

/** min/max: over a filter's states (one string argument), or over numbers / one list of numbers. */
function extreme(pick: (a: number, b: number) => number, name: string): FunctionSpec {
  return {
    min: 1,
    max: 100,
    usage: `${name}(filter) or ${name}(a, b, ...) or ${name}(list)`,
    checkLiteral: (index, value, count) => (index === 0 && count === 1 && typeof value === 'string' ? checkFilterLiteral(value) : undefined),
    call(args, ctx) {
      let numbers: number[];
      if (args.length === 1 && typeof args[0] === 'string') {
        numbers = numbersOf(statesOf(args, ctx));
      } else {
        const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
        ctx.budget.charge(ctx.node, list.length);
        numbers = list.map((v, i) => asNumber(v) ?? ctx.fail(`${name}() needs numbers, got ${JSON.stringify(v)}`, list === args ? i : 0));
      }
      return numbers.length === 0 ? null : numbers.reduce((a, b) => pick(a, b));
    },
  };
}

export const AGGREGATES: Readonly<Record<string, FunctionSpec>> = {
  count: {
    min: 1,
    max: 2,
    usage: "count(filter, value?) — e.g. count('ourhome/+/+/light', 'on')",
    checkLiteral: (index, value) => (index === 0 ? checkFilterLiteral(value) : undefined),
    call(args, ctx) {
      const matches = statesOf(args, ctx);
      return args.length < 2 ? matches.length : matches.filter((m) => matchesWanted(m, args[1])).length;
    },
  },
  any: {
    min: 1,
    max: 2,
    usage: "any(filter, value = 'on')",
    checkLiteral: (index, value) => (index === 0 ? checkFilterLiteral(value) : undefined),
    call: (args, ctx) => statesOf(args, ctx).some((m) => matchesWanted(m, args.length < 2 ? 'on' : args[1])),
  },
  all: {
    min: 1,
    max: 2,
    // Of no states at all, "all are on" is true (as in mathematics and Python's all([])).
    usage: "all(filter, value = 'on')",
    checkLiteral: (index, value) => (index === 0 ? checkFilterLiteral(value) : undefined),
    call: (args, ctx) => statesOf(args, ctx).every((m) => matchesWanted(m, args.length < 2 ? 'on' : args[1])),
  },
  avg: {
    min: 1,
    max: 1,
    usage: 'avg(filter) or avg(list)',
    checkLiteral: (index, value) => (typeof value === 'string' ? checkFilterLiteral(value) : undefined),
    call(args, ctx) {
      let numbers: number[];
      if (Array.isArray(args[0])) {
        ctx.budget.charge(ctx.node, args[0].length);
        numbers = args[0].map((v) => asNumber(v) ?? ctx.fail(`avg() needs numbers, got ${JSON.stringify(v)}`, 0));
      } else {
        numbers = numbersOf(statesOf(args, ctx));
      }
      return numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0) / numbers.length;
    },
  },
  min: extreme(Math.min, 'min'),
  max: extreme(Math.max, 'max'),
  state: {
    min: 1,
    max: 2,
    usage: "state(deviceIdOrTopic, property?) — e.g. state('kitchen-sensor', 'temperature')",
    checkLiteral(index, value) {
      if (typeof value !== 'string') return { message: 'the device and property must be strings' };
      if (index === 0 && /[+#]/.test(value)) return { message: 'state() reads one device: use count/any/all/avg for a filter' };
      return undefined;
    },
    call(args, ctx) {
      const [ref, property] = args;
      if (typeof ref !== 'string') return ctx.fail('state() needs a device id or topic (a string)', 0);
      if (property !== undefined && typeof property !== 'string') return ctx.fail('the property must be a string', 1);
      return ctx.host.state(ref, property as string | undefined);
    },
  },
  now: {
    min: 0,
    max: 0,
    usage: 'now() — milliseconds since 1970',
    call: (_args, ctx) => ctx.host.now(),
  },
};
