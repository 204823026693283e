import type { Args, Expr, Node } from './ast.js';
import { FILTERS, FUNCTIONS, TESTS, callMethod, compare, makeDict } from './builtins.js';
import { TemplateError, UNDEFINED, getItem, isDict, pyEquals, pyStr, truthy, typeOf, type PyValue } from './values.js';

// Walks the syntax tree. No host object is ever reachable: names resolve only to the variables given (value,
// value_json...) and to `{% set %}` results; attribute access reads own keys of JSON data. Every step counts
// against a budget, so a template cannot spin (there are no loops, but `'x' * 10**9` and deep nesting exist).

export const MAX_STEPS = 10_000;
export const MAX_OUTPUT = 64 * 1024;

export class Evaluator {
  private steps = 0;
  private readonly scope: Map<string, PyValue>;

  constructor(vars: Record<string, PyValue>, private readonly maxSteps = MAX_STEPS) {
    this.scope = new Map(Object.entries(vars));
  }

  /** A lone `{{ expr }}` keeps its type (HA's native types); anything else renders to text. */
  run(nodes: Node[]): PyValue {
    const only = nodes.length === 1 ? nodes[0]! : undefined;
    if (only?.t === 'out') return this.evaluate(only.expr);
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
      else if (node.t === 'out') emit(pyStr(this.evaluate(node.expr)));
      else if (node.t === 'set') this.scope.set(node.name, this.evaluate(node.expr));
      else {
        const branch = node.branches.find((b) => truthy(this.evaluate(b.test)));
        this.exec(branch ? branch.body : node.otherwise, emit);
      }
    }
  }

  private tick(): void {
    if (++this.steps > this.maxSteps) throw new TemplateError(`template exceeded ${this.maxSteps} evaluation steps`);
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
        return fn(args[0]!, args.slice(1), kw);
      }
      case 'method': return callMethod(this.defined(e.obj, e.name), e.name, this.args(e.args)[0]);
      case 'filter': {
        const fn = FILTERS[e.name];
        if (!Object.hasOwn(FILTERS, e.name) || !fn) throw new TemplateError(`unsupported filter |${e.name}`);
        const [args, kw] = this.args(e.args);
        return fn(this.evaluate(e.value), args, kw);
      }
      case 'test': {
        const fn = TESTS[e.name];
        if (!Object.hasOwn(TESTS, e.name) || !fn) throw new TemplateError(`unsupported test "is ${e.name}"`);
        return fn(this.evaluate(e.value), e.args.map((a) => this.evaluate(a))) !== e.negate;
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
      case 'bin': return this.binary(e.op, this.evaluate(e.left), this.evaluate(e.right));
      case 'list': return e.items.map((x) => this.evaluate(x));
      case 'dict': return makeDict(e.entries.map(([k, v]) => [this.evaluate(k), this.evaluate(v)]));
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
