import { TemplateError, isDict, type PyValue } from './values.js';

// What a render may spend. Counting syntax-tree steps alone let one step do unbounded work: `value.split(',')` on a
// 250 KiB payload is one step, and five such messages froze the event loop for 4.5 s. So every builtin, operator
// and literal is charged for the size of what it touches (its inputs and its result, in characters: see sizeOf),
// and a render that spends more than MAX_WORK is refused with a "budget" error. Charging the inputs *before* the
// work is done means the refusal comes before the expensive call, not after it.

/** Syntax-tree nodes evaluated per render at most (a template has no loops; this bounds deep `if` chains). */
export const MAX_STEPS = 10_000;

/**
 * Units of work per render: one per step, plus one per character a builtin or operator reads or produces: three
 * times the input cap (MAX_TEMPLATE_INPUT_CHARS, 64 Ki). `value | from_json` on the largest input (read once,
 * produced once) fits; walking a bigger value, or the whole input over and over, does not. Measured here: a render
 * that spends the whole budget on split takes about a millisecond (docs/limits.md).
 */
export const MAX_WORK = 192 * 1024;

/**
 * The largest value a template may compute, in characters (see sizeOf): every string, list and dict an operator,
 * filter, method, function or literal produces, and the rendered output. `{{ value ~ value ~ … }}` once turned a
 * 250 KiB message into 256 MB; now the first `~` past this bound is an error.
 */
export const MAX_OUTPUT = 64 * 1024;

/**
 * The size of a value in characters, about what its text takes: a string's length, 1 per number, bool or None,
 * and for lists and dicts the sizes of their items and keys plus one per item. Walks at most until the size passes
 * `limit` (then returns limit + 1), so measuring never costs more than the bound it checks.
 */
export function sizeOf(v: PyValue, limit: number): number {
  let size = 0;
  const stack: PyValue[] = [v];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (typeof x === 'string') size += x.length;
    else if (Array.isArray(x)) {
      size += 1 + x.length;
      if (size > limit) return limit + 1;
      for (const item of x) stack.push(item);
    } else if (isDict(x)) {
      const keys = Object.keys(x);
      size += 1 + keys.length;
      if (size > limit) return limit + 1;
      for (const k of keys) {
        size += k.length;
        stack.push(x[k]!);
      }
    } else size += 1;
    if (size > limit) return limit + 1;
  }
  return size;
}

/**
 * Refuses a value larger than MAX_OUTPUT; returns its size (0 for scalars and short strings, not worth measuring).
 * The render's result goes through this too: `{{ value }}` with a large command value is bounded like the rest.
 */
export function bounded(what: string, v: PyValue): number {
  if (typeof v !== 'object' && typeof v !== 'string') return 0;
  if (typeof v === 'string' && v.length < 64) return 0;
  const size = sizeOf(v, MAX_OUTPUT);
  if (size > MAX_OUTPUT) throw new TemplateError(`${what}: result longer than ${MAX_OUTPUT} characters`);
  return size;
}

/** The work counter of one render. */
export class Budget {
  private work = 0;
  private steps = 0;

  constructor(
    private readonly maxSteps = MAX_STEPS,
    private readonly maxWork = MAX_WORK,
  ) {}

  /** One syntax-tree step. */
  step(): void {
    if (++this.steps > this.maxSteps) throw new TemplateError(`template exceeded ${this.maxSteps} evaluation steps`);
    this.spend(1, 'a step');
  }

  /** Charges the inputs of `what` before it runs: refused when they alone would overrun the budget. */
  inputs(what: string, values: readonly PyValue[]): void {
    for (const v of values) {
      // Scalars cost nothing beyond the step that produced them; measuring them is not worth a call.
      if (typeof v !== 'object' && typeof v !== 'string') continue;
      if (typeof v === 'string' && v.length < 64) continue;
      this.spend(sizeOf(v, this.maxWork - this.work), what);
    }
  }

  /** Checks and charges what `what` produced: larger than MAX_OUTPUT is refused, whatever the budget left. */
  result<T extends PyValue>(what: string, v: T): T {
    const size = bounded(what, v);
    if (size > 0) this.spend(size, what);
    return v;
  }

  spend(units: number, what: string): void {
    this.work += units;
    if (this.work > this.maxWork) {
      throw new TemplateError(`template exceeded its budget of ${this.maxWork} units of work (at ${what}); see docs/limits.md`);
    }
  }

  get spent(): number {
    return this.work;
  }
}
