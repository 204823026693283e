// Walks the tree. Every node visited costs one step (Budget). Only data is reachable: names come from the scope's
// own keys, members from plain objects' own keys and list/string indexes; nothing is ever called but whitelisted
// functions. No eval, Function or vm anywhere: the user's text is only ever data for this walker.

import type { Node, NodeOf } from './ast.js';
import type { Budget } from './budget.js';
import { ExpressionError, ExpressionErrorCodes, type ExpressionErrorCode } from './errors.js';
import type { CallContext } from './function-spec.js';
import { lookupFunction } from './functions.js';
import type { ExpressionHost } from './host.js';
import { isForbiddenName } from './guards.js';
import { asNumber, describeValue, isPlainObject, looseEquals, toText, truthy, type ExprValue, type Scope } from './values.js';

export interface Env {
  readonly scope: Scope;
  readonly host: ExpressionHost;
  readonly budget: Budget;
}

function fail(env: Env, node: Node, message: string, code: ExpressionErrorCode = ExpressionErrorCodes.TYPE): never {
  throw new ExpressionError(code, message, node.start, env.budget.source);
}

export function evaluate(node: Node, env: Env): ExprValue {
  env.budget.charge(node);
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'array':
      return env.budget.array(node, node.items.map((item) => evaluate(item, env) ?? null));
    case 'name':
      if (Object.hasOwn(env.scope, node.name)) return env.scope[node.name];
      return fail(env, node, unknownName(node.name, env.scope), ExpressionErrorCodes.UNKNOWN_NAME);
    case 'member':
      return member(node, env);
    case 'call':
      return call(node, env);
    case 'unary': {
      const value = evaluate(node.operand, env);
      if (node.op === 'not') return !truthy(value);
      const n = asNumber(value);
      if (n === undefined) return fail(env, node, `cannot use '${node.op}' with ${describeValue(value)}`);
      return node.op === '-' ? -n : n;
    }
    case 'binary':
      return binary(node, evaluate(node.left, env), evaluate(node.right, env), env);
    case 'logical': {
      // Short-circuit and return an operand: `x or 'none'` gives x when it is set.
      const left = evaluate(node.left, env);
      if (node.op === 'and' ? !truthy(left) : truthy(left)) return left;
      return evaluate(node.right, env);
    }
    case 'conditional':
      return truthy(evaluate(node.test, env)) ? evaluate(node.then, env) : evaluate(node.else, env);
  }
}

function unknownName(name: string, scope: Scope): string {
  const known = Object.keys(scope).sort();
  if (known.length === 0) return `unknown name '${name}' (nothing is defined here)`;
  const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
  return `unknown name '${name}' (defined here: ${list})`;
}

function member(node: NodeOf<'member'>, env: Env): ExprValue {
  const object = evaluate(node.object, env);
  const key = node.computed ? evaluate(node.property, env) : (node.property as NodeOf<'literal'>).value;
  if (typeof key === 'string' && isForbiddenName(key)) {
    return fail(env, node.property, `'${key}' is not allowed`, ExpressionErrorCodes.FORBIDDEN);
  }
  // Missing stays missing (Jinja's undefined), so `default(value_json.a.b, 0)` works without errors.
  if (object === undefined || object === null) return undefined;
  if (Array.isArray(object) || typeof object === 'string') {
    const index = typeof key === 'number' ? key : undefined;
    if (index === undefined || !Number.isInteger(index)) return undefined;
    // Negative indexes count from the end, as in Python: a[-1] is the last item.
    const at = index < 0 ? object.length + index : index;
    return at >= 0 && at < object.length ? object[at] : undefined;
  }
  if (isPlainObject(object) && (typeof key === 'string' || typeof key === 'number')) {
    const name = String(key);
    return Object.hasOwn(object, name) ? object[name] : undefined;
  }
  return undefined;
}

function call(node: NodeOf<'call'>, env: Env): ExprValue {
  // compile.ts has refused unknown functions and wrong argument counts already; this is the second lock.
  const spec = lookupFunction(node.name);
  if (!spec) return fail(env, node, `unknown function '${node.name}'`, ExpressionErrorCodes.FUNCTION);
  const args = node.args.map((arg) => evaluate(arg, env));
  const ctx: CallContext = {
    host: env.host,
    budget: env.budget,
    node,
    fail: (message, index) => fail(env, index === undefined ? node : (node.args[index] ?? node), message),
  };
  return spec.call(args, ctx);
}

function finite(env: Env, node: Node, n: number): number {
  if (!Number.isFinite(n)) fail(env, node, 'the result is not a finite number');
  return n;
}

function binary(node: NodeOf<'binary'>, left: ExprValue, right: ExprValue, env: Env): ExprValue {
  const { op } = node;
  switch (op) {
    case '==':
      return looseEquals(left, right);
    case '!=':
      return !looseEquals(left, right);
    case '~':
      return env.budget.string(node, toText(left) + toText(right));
    case '+':
      return add(node, left, right, env);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(node, left, right, env);
    case 'in':
      return contains(node, right, left, env);
    case 'not in':
      return !contains(node, right, left, env);
    default: {
      const a = asNumber(left);
      const b = asNumber(right);
      if (a === undefined || b === undefined) {
        return fail(env, node, `cannot use '${op}' with ${describeValue(left)} and ${describeValue(right)}`);
      }
      if ((op === '/' || op === '%') && b === 0) return fail(env, node.right, 'division by zero');
      return finite(env, node, op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b);
    }
  }
}

/**
 * Numbers add; texts join; lists join. A number and a numeric text add (`payload + 1` with payload "20" is 21);
 * a number and other text join (`'Temp: ' + 21`). `~` always joins.
 */
function add(node: NodeOf<'binary'>, left: ExprValue, right: ExprValue, env: Env): ExprValue {
  if (typeof left === 'string' && typeof right === 'string') return env.budget.string(node, left + right);
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length + right.length > env.budget.limits.maxArrayLength) env.budget.array(node, [...left, ...right]);
    return [...left, ...right];
  }
  const a = asNumber(left);
  const b = asNumber(right);
  if ((typeof left === 'number' || typeof right === 'number') && a !== undefined && b !== undefined) return finite(env, node, a + b);
  if ((typeof left === 'number' && typeof right === 'string') || (typeof left === 'string' && typeof right === 'number')) {
    return env.budget.string(node, toText(left) + toText(right));
  }
  return fail(env, node, `cannot add ${describeValue(left)} and ${describeValue(right)}`);
}

/** Numbers (numeric texts count when the other side is a number) or two texts; anything else is an error. */
function compare(node: NodeOf<'binary'>, left: ExprValue, right: ExprValue, env: Env): boolean {
  let a: number | string | undefined;
  let b: number | string | undefined;
  if (typeof left === 'string' && typeof right === 'string') {
    a = left;
    b = right;
  } else if (typeof left === 'number' || typeof right === 'number') {
    a = asNumber(left);
    b = asNumber(right);
  }
  if (a === undefined || b === undefined) {
    return fail(env, node, `cannot compare ${describeValue(left)} with ${describeValue(right)} using '${node.op}'`);
  }
  switch (node.op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** `x in list` (==), `'sub' in text`, `'key' in mapping`; in nothing (missing, null) is false. */
function contains(node: NodeOf<'binary'>, container: ExprValue, item: ExprValue, env: Env): boolean {
  if (container === undefined || container === null) return false;
  if (Array.isArray(container)) {
    env.budget.charge(node, container.length);
    return container.some((x) => looseEquals(x, item));
  }
  if (typeof container === 'string') {
    if (typeof item !== 'string' && typeof item !== 'number') return fail(env, node, `cannot look for ${describeValue(item)} in a string`);
    return container.includes(String(item));
  }
  if (isPlainObject(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  return fail(env, node, `cannot look in ${describeValue(container)}`);
}
