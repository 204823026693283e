import type { Args, Expr, Node } from './ast.js';
import { Budget, MAX_OUTPUT, MAX_STEPS, MAX_WORK, bounded } from './budget.js';
import { FILTERS, FUNCTIONS, TESTS, callMethod, compare, makeDict } from './builtins.js';
import { TemplateError, UNDEFINED, getItem, isDict, pyEquals, pyStr, truthy, typeOf, type PyValue } from './values.js';

// Walks the syntax tree. No host object is ever reachable: names resolve only to the variables given (value,
// value_json...) and to `{% set %}` results; attribute access reads own keys of JSON data. Every step, and every
// character a builtin or operator touches, is charged to a budget (budget.ts), and every value computed is at
// most MAX_OUTPUT: a template cannot spin or grow (there are no loops, but `~`, `*`, replace and join exist).

export { MAX_OUTPUT, MAX_STEPS, MAX_WORK };

/**
 * Builtins that look a list or dict up rather than walk it (`value_json.get('x')`, `|first`, `|default`,
 * `|length`), and hand back a value that already exists: a list or dict input costs them only their step, and
 * their result is not measured again. Strings are still charged (`|first` of a string splits it into characters).
 * Charging `value_json` whole at every `.get()` would refuse ordinary templates on a large JSON payload.
 */
const LOOKUPS = new Set(['|default', '|d', '|first', '|last', '|length', '|count', '|iif', '|is_defined', 'iif()', '.get()']);
/** Tests that compare values deeply; the others (`is defined`, `is number`…) look at the type only. */
const DEEP_TESTS = new Set(['eq']);

export class Evaluator {
  private readonly budget: Budget;
  private readonly scope: Map<string, PyValue>;

  constructor(vars: Record<string, PyValue>, maxSteps = MAX_STEPS, maxWork = MAX_WORK) {
    this.scope = new Map(Object.entries(vars));
    this.budget = new Budget(maxSteps, maxWork);
  }

  /** Work spent so far (steps plus characters touched): for tests and the docs' figures. */
  get spent(): number {
    return this.budget.spent;
  }

  /** A lone `{{ expr }}` keeps its type (HA's native types); anything else renders to text. */
  run(nodes: Node[]): PyValue {
    const only = nodes.length === 1 ? nodes[0]! : undefined;
    if (only?.t === 'out') {
      // Checked, not charged again: what computed it was charged already (the input itself is capped).
      const v = this.evaluate(only.expr);
      bounded('output', v);
      return v;
    }
    const out: string[] = [];
    let size = 0;
    const emit = (s: string): void => {
      size += s.length;
      if (size > MAX_OUTPUT) throw new TemplateError(`output longer than ${MAX_OUTPUT} characters`);
      out.push(s);
    };
    this.exec(nodes, emit);
    return out.join('');
  }

  private exec(nodes: Node[], emit: (s: string) => void): void {
    for (const node of nodes) {
      this.tick();
      if (node.t === 'text') emit(node.text);
      else if (node.t === 'out') emit(this.text(this.evaluate(node.expr)));
      else if (node.t === 'set') this.scope.set(node.name, this.evaluate(node.expr));
      else {
        const branch = node.branches.find((b) => truthy(this.evaluate(b.test)));
        this.exec(branch ? branch.body : node.otherwise, emit);
      }
    }
  }

  private tick(): void {
    this.budget.step();
  }

  /** A value rendered into the output: a list or dict is written out in full (Python's repr), so it is charged. */
  private text(v: PyValue): string {
    this.budget.inputs('output', [v]);
    return pyStr(v);
  }

  /** Charges a builtin's inputs, runs it, then checks and charges its result (budget.ts). */
  private charged(what: string, inputs: PyValue[], kw: Record<string, PyValue>, run: () => PyValue): PyValue {
    if (LOOKUPS.has(what)) {
      for (const v of inputs) if (typeof v === 'string') this.budget.inputs(what, [v]);
      for (const k in kw) if (typeof kw[k] === 'string') this.budget.inputs(what, [kw[k]]);
      return run();
    }
    this.budget.inputs(what, inputs);
    for (const k in kw) this.budget.inputs(what, [kw[k]!]);
    return this.budget.result(what, run());
  }

  private evaluate(e: Expr): PyValue {
    this.tick();
    switch (e.t) {
      case 'lit': return e.value;
      case 'name': return this.scope.has(e.name) ? this.scope.get(e.name)! : UNDEFINED;
      case 'attr': return getItem(this.defined(e.obj, e.name), /^\d+$/.test(e.name) ? Number(e.name) : e.name);
      case 'index': {
        const obj = this.evaluate(e.obj);
        const index = this.evaluate(e.index);
        if (obj === UNDEFINED) throw new TemplateError(`cannot index undefined with ${pyStr(index)}`);
        return getItem(obj, index);
      }
      case 'call': {
        const fn = FUNCTIONS[e.name];
        if (!Object.hasOwn(FUNCTIONS, e.name) || !fn) throw new TemplateError(`unsupported function ${e.name}()`);
        const [args, kw] = this.args(e.args);
        if (args.length === 0) throw new TemplateError(`${e.name}() needs an argument`);
        return this.charged(`${e.name}()`, args, kw, () => fn(args[0]!, args.slice(1), kw));
      }
      case 'method': {
        const obj = this.defined(e.obj, e.name);
        const [args, kw] = this.args(e.args);
        return this.charged(`.${e.name}()`, [obj, ...args], kw, () => callMethod(obj, e.name, args));
      }
      case 'filter': {
        const fn = FILTERS[e.name];
        if (!Object.hasOwn(FILTERS, e.name) || !fn) throw new TemplateError(`unsupported filter |${e.name}`);
        const [args, kw] = this.args(e.args);
        const value = this.evaluate(e.value);
        return this.charged(`|${e.name}`, [value, ...args], kw, () => fn(value, args, kw));
      }
      case 'test': {
        const fn = TESTS[e.name];
        if (!Object.hasOwn(TESTS, e.name) || !fn) throw new TemplateError(`unsupported test "is ${e.name}"`);
        const value = this.evaluate(e.value);
        const args = e.args.map((a) => this.evaluate(a));
        if (DEEP_TESTS.has(e.name)) this.budget.inputs(`is ${e.name}`, [value, ...args]);
        return fn(value, args) !== e.negate;
      }
      case 'neg': {
        const v = this.evaluate(e.arg);
        if (typeof v === 'number' || typeof v === 'boolean') return -Number(v);
        throw new TemplateError(`cannot negate ${typeOf(v)}`);
      }
      case 'not': return !truthy(this.evaluate(e.arg));
      case 'and': {
        const left = this.evaluate(e.left);
        return truthy(left) ? this.evaluate(e.right) : left;
      }
      case 'or': {
        const left = this.evaluate(e.left);
        return truthy(left) ? left : this.evaluate(e.right);
      }
      case 'cmp': return this.compareChain(e.first, e.rest);
      case 'cond': return truthy(this.evaluate(e.test)) ? this.evaluate(e.then) : e.else ? this.evaluate(e.else) : UNDEFINED;
      case 'bin': {
        const left = this.evaluate(e.left);
        const right = this.evaluate(e.right);
        return this.charged(e.op, [left, right], {}, () => this.binary(e.op, left, right));
      }
      case 'list': return this.budget.result('a list', e.items.map((x) => this.evaluate(x)));
      case 'dict': return this.budget.result('a dict', makeDict(e.entries.map(([k, v]) => [this.evaluate(k), this.evaluate(v)])));
    }
  }

  /** Jinja raises on `undefined.attr` (HA logs "'dict object' has no attribute"): the chain is broken. */
  private defined(obj: Expr, name: string): PyValue {
    const v = this.evaluate(obj);
    if (v === UNDEFINED) throw new TemplateError(`cannot read "${name}" of undefined`);
    return v;
  }

  private args(a: Args): [PyValue[], Record<string, PyValue>] {
    const kw = Object.create(null) as Record<string, PyValue>;
    for (const [k, v] of Object.entries(a.keyword)) kw[k] = this.evaluate(v);
    return [a.positional.map((x) => this.evaluate(x)), kw];
  }

  private compareChain(first: Expr, rest: [string, Expr][]): boolean {
    let left = this.evaluate(first);
    for (const [op, expr] of rest) {
      const right = this.evaluate(expr);
      this.budget.inputs(op, [left, right]);
      if (!compareOnce(op, left, right)) return false;
      left = right;
    }
    return true;
  }

  private binary(op: string, a: PyValue, b: PyValue): PyValue {
    if (op === '~') return pyStr(a) + pyStr(b);
    if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
    if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (op === '*' && typeof a === 'string' && typeof b === 'number') {
      if (a.length * b > MAX_OUTPUT) throw new TemplateError('string repetition too long');
      return a.repeat(Math.max(0, Math.trunc(b)));
    }
    const x = typeof a === 'boolean' ? Number(a) : a;
    const y = typeof b === 'boolean' ? Number(b) : b;
    if (typeof x !== 'number' || typeof y !== 'number') {
      throw new TemplateError(`unsupported operand types for ${op}: ${typeOf(a)} and ${typeOf(b)}`);
    }
    if ((op === '/' || op === '//' || op === '%') && y === 0) throw new TemplateError('division by zero');
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
      case '//': return Math.floor(x / y);
      case '%': return x - y * Math.floor(x / y); // Python: the result takes the divisor's sign
      case '**': return x ** y;
    }
    throw new TemplateError(`unknown operator ${op}`);
  }
}

function compareOnce(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==': return pyEquals(a, b);
    case '!=': return !pyEquals(a, b);
    case 'in': return contains(b, a);
    case 'not in': return !contains(b, a);
    case '<': return compare(a, b) < 0;
    case '<=': return compare(a, b) <= 0;
    case '>': return compare(a, b) > 0;
    case '>=': return compare(a, b) >= 0;
  }
  throw new TemplateError(`unknown comparison ${op}`);
}

function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TemplateError(`'in <string>' requires a string, got ${typeOf(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (isDict(container)) return Object.hasOwn(container, pyStr(item));
  throw new TemplateError(`argument of type ${typeOf(container)} is not iterable`);
}
