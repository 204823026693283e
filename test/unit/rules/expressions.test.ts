import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, ExpressionError, ExpressionErrorCodes, type Scope } from '../../../rules/expressions/index.js';
import type { StateValue } from '../../../server/core/model.js';
import { fakeHost, HOUSE } from './fake-host.js';

const host = fakeHost(HOUSE);
const run = (text: string, scope: Scope = {}) => compileExpression(text).evaluate(scope, host);

/** Assert the text fails (at compile or run time) with this code, message and 1-based column. */
function fails(text: string, code: string, message: string | RegExp, column: number, scope: Scope = {}): void {
  assert.throws(
    () => run(text, scope),
    (err: unknown) => {
      assert.ok(err instanceof ExpressionError, `not an ExpressionError: ${String(err)}`);
      assert.equal(err.code, code);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.equal(err.column, column, `column of "${err.message}"`);
      return true;
    },
  );
}

test('literals: numbers, both string quotes with escapes, true/false/null and the Python spellings', () => {
  assert.equal(run('42'), 42);
  assert.equal(run('2.5e2'), 250);
  assert.equal(run(`'it\\'s'`), "it's");
  assert.equal(run(`"say \\"hi\\"\\n"`), 'say "hi"\n');
  assert.equal(run(`'\\u00e9'`), 'é');
  assert.deepEqual([run('true'), run('false'), run('null')], [true, false, null]);
  assert.deepEqual([run('True'), run('False'), run('None')], [true, false, null]);
  assert.deepEqual(run('[1, "a", [true], ]'), [1, 'a', [true]]);
});

test('precedence: * before +, comparison before not, not before and, and before or, ternaries lowest', () => {
  assert.equal(run('1 + 2 * 3'), 7);
  assert.equal(run('(1 + 2) * 3'), 9);
  assert.equal(run('10 - 4 - 3'), 3, 'left-associative');
  assert.equal(run('7 % 4 * 2'), 6);
  assert.equal(run('-2 * 3'), -6);
  assert.equal(run('not 1 == 2'), true, 'not (1 == 2)');
  assert.equal(run('!1 == 2'), false, '(!1) == 2, as in JavaScript');
  assert.equal(run('true or false and false'), true, 'and binds tighter than or');
  assert.equal(run('false && true || true'), true);
  assert.equal(run("'a' if 1 < 2 else 'b'"), 'a');
  assert.equal(run("'a' if 1 > 2 else 'b' if 2 > 3 else 'c'"), 'c', 'right-associative');
  assert.equal(run("1 > 2 ? 'a' : 3 > 2 ? 'b' : 'c'"), 'b');
  assert.equal(run("1 + 1 == 2 and 'x' in ['x'] ? 'yes' : 'no'"), 'yes');
});

test('and/or short-circuit and return an operand; truth is Python\'s', () => {
  assert.equal(run("x or 'none'", { x: '' }), 'none');
  assert.equal(run("x or 'none'", { x: 'set' }), 'set');
  assert.equal(run('x and y', { x: 0, y: 1 }), 0);
  // The right side is not evaluated: an unknown name there does not fail.
  assert.equal(run('false and missing_name'), false);
  assert.deepEqual([run('not []'), run('not x', { x: {} }), run("not '0'"), run('not 0')], [true, true, false, true]);
});

test('arithmetic and comparison coerce numeric text (payloads are text), join text, refuse the rest', () => {
  assert.equal(run('payload + 1', { payload: '20' }), 21);
  assert.equal(run('payload > 28', { payload: '28.5' }), true);
  assert.equal(run("'Temp: ' + 21"), 'Temp: 21');
  assert.equal(run("'a' + 'b'"), 'ab');
  assert.equal(run("'1' + '2'"), '12', 'two texts join even when numeric');
  assert.equal(run("1 ~ 2 ~ 'x'"), '12x');
  assert.deepEqual(run('[1] + [2]'), [1, 2]);
  assert.equal(run("'b' > 'a'"), true);
  assert.equal(run("1 == '1.0'"), true);
  assert.equal(run('x.missing == null', { x: {} }), true, 'missing equals null');
  assert.equal(run('[1, [2]] == [1, [2]]'), true, 'deep equality');
  fails("'a' - 1", ExpressionErrorCodes.TYPE, `cannot use '-' with the string "a" and the number 1`, 1);
  fails('x > 1', ExpressionErrorCodes.TYPE, `cannot compare null with the number 1 using '>'`, 1, { x: null });
  fails('1 / (2 - 2)', ExpressionErrorCodes.TYPE, 'division by zero', 6);
  fails('1e308 * 10', ExpressionErrorCodes.TYPE, 'the result is not a finite number', 1);
  fails('true + 1', ExpressionErrorCodes.TYPE, 'cannot add the boolean true and the number 1', 1);
});

test('in / not in: lists by ==, substrings, mapping keys; nothing contains nothing', () => {
  assert.equal(run("'on' in ['on', 'ON']"), true);
  assert.equal(run("2 in ['1', '2']"), true);
  assert.equal(run("'kit' in 'kitchen'"), true);
  assert.equal(run("'a' not in x", { x: { a: 1 } }), false);
  assert.equal(run("'a' in x", { x: null }), false);
});

test('member access: dots, brackets, indexes from the end, missing stays missing', () => {
  const scope = { trigger: { payload: '21', topic: 'a/b' }, value_json: { temperature: 21.5, 'odd key': 1, list: [1, 2, 3] } };
  assert.equal(run('trigger.payload', scope), '21');
  assert.equal(run('value_json.temperature', scope), 21.5);
  assert.equal(run("value_json['temperature']", scope), 21.5);
  assert.equal(run("value_json['odd key']", scope), 1);
  assert.equal(run('value_json.list[0]', scope), 1);
  assert.equal(run('value_json.list[-1]', scope), 3);
  assert.equal(run("'abc'[1]"), 'b');
  assert.equal(run('value_json.nothing.deeper', scope), undefined);
  assert.equal(run('value_json.list[9]', scope), undefined);
  assert.equal(run('value_json.list.length', scope), undefined, 'no JavaScript properties of lists');
  assert.equal(run("trigger.payload['toString']", scope), undefined, 'no JavaScript properties of strings');
  assert.equal(run('x.toString', { x: {} }), undefined, 'only own keys of mappings');
  assert.equal(run('x.hasOwnProperty', { x: {} }), undefined);
});

test('JavaScript internals are refused: constructor, __proto__, prototype, by dot, literal or computed key', () => {
  fails('x.constructor', ExpressionErrorCodes.FORBIDDEN, "'constructor' is not allowed", 3, { x: {} });
  fails('x.__proto__', ExpressionErrorCodes.FORBIDDEN, "'__proto__' is not allowed", 3, { x: {} });
  fails("x['__proto__']", ExpressionErrorCodes.FORBIDDEN, "'__proto__' is not allowed", 3, { x: {} });
  fails("x['constructor']['constructor']", ExpressionErrorCodes.FORBIDDEN, "'constructor' is not allowed", 3, { x: {} });
  fails('x[k]', ExpressionErrorCodes.FORBIDDEN, "'prototype' is not allowed", 3, { x: {}, k: 'prototype' });
  fails('x[k ~ "proto__"]', ExpressionErrorCodes.FORBIDDEN, "'__proto__' is not allowed", 3, { x: {}, k: '__' });
  fails('constructor', ExpressionErrorCodes.FORBIDDEN, "'constructor' is not allowed", 1);
  // A name the scope does not own is unknown, even when every JavaScript object has it.
  fails('toString', ExpressionErrorCodes.UNKNOWN_NAME, "unknown name 'toString' (nothing is defined here)", 1);
  fails('x.lower()', ExpressionErrorCodes.SYNTAX, 'methods cannot be called: use the function, e.g. lower(...)', 3, { x: 'A' });
  fails('(x)(1)', ExpressionErrorCodes.SYNTAX, 'only functions can be called, by name: f(x)', 4, { x: 1 });
  // A payload that carries a "__proto__" key cannot lead anywhere either.
  const json = JSON.parse('{"__proto__": {"polluted": true}}') as StateValue;
  fails('value_json.__proto__', ExpressionErrorCodes.FORBIDDEN, "'__proto__' is not allowed", 12, { value_json: json });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('unknown names list what the scope holds', () => {
  fails('tigger.payload', ExpressionErrorCodes.UNKNOWN_NAME, "unknown name 'tigger' (defined here: payload, trigger)", 1, { trigger: {}, payload: '' });
});

test('functions: conversions, rounding, text, default, json', () => {
  assert.equal(run("number('21.5')"), 21.5);
  assert.equal(run("number('warm')"), null);
  assert.equal(run('number(true)'), 1);
  assert.equal(run("int('7.9')"), 7);
  assert.equal(run("string(1.5) ~ '|' ~ string(null) ~ '|' ~ string(x.missing)", { x: {} }), '1.5|null|');
  assert.equal(run('string([1, "a"])'), '[1,"a"]');
  assert.equal(run('round(2.345, 2)'), 2.35);
  assert.equal(run('round(-2.5)'), -3, 'half away from zero');
  assert.equal(run("round('21.46', 1)"), 21.5);
  assert.deepEqual([run('abs(-3)'), run('floor(2.7)'), run('ceil(2.1)')], [3, 2, 3]);
  assert.deepEqual([run("lower('ON')"), run("upper('on')")], ['on', 'ON']);
  assert.deepEqual([run("len('abc')"), run('len([1, 2])'), run('len(x)', { x: { a: 1 } })], [3, 2, 1]);
  assert.equal(run('default(x.y, 5)', { x: {} }), 5);
  assert.equal(run('default(x, 5)', { x: null }), 5);
  assert.equal(run('default(x, 5)', { x: 0 }), 0, 'only missing or null falls back');
  assert.equal(run("json(x)", { x: { a: [1, 'b'] } }), '{"a":[1,"b"]}');
  assert.equal(run('now()'), 1_700_000_000_000);
  fails('round(1, 20)', ExpressionErrorCodes.TYPE, 'round() takes 0 to 15 digits', 10);
  fails("abs('x')", ExpressionErrorCodes.TYPE, 'abs() needs a number, got the string "x"', 5);
  fails('len(3)', ExpressionErrorCodes.TYPE, 'len() needs a string, list or mapping, got the number 3', 5);
});

test('filters: x | f(args) is f(x, args), as in Jinja', () => {
  assert.equal(run('value_json.t | round(1)', { value_json: { t: 21.456 } }), 21.5);
  assert.equal(run("x | default('none') | upper", { x: null }), 'NONE');
  assert.equal(run('-x | abs', { x: 3 }), -3, 'filters bind tighter than unary minus, as in Jinja');
  assert.equal(run('1 + x | abs', { x: -2 }), 3);
  fails('x | round(1, 2)', ExpressionErrorCodes.FUNCTION, "round() takes 1 to 2 arguments (counting the value before '|'), got 3: round(x, digits = 0)", 5, { x: 1 });
});

test('aggregates read states through the host: count, any, all, avg, min, max, state', () => {
  assert.equal(run("count('ourhome/+/+/light', 'on')"), 2, 'ON and true are on; off and 0 are not');
  assert.equal(run("count('ourhome/+/+/light', 'off')"), 2);
  assert.equal(run("count('ourhome/+/+/light')"), 4, 'without a value: every matched state');
  assert.equal(run("count('ourhome/firstfloor/#', 'ON')"), 1, 'isOn from the host wins over the value (fan says false)');
  assert.equal(run("count('area:firstfloor/kitchen', 'on')"), 1);
  assert.equal(run("count('area:groundfloor')"), 3);
  assert.equal(run("count('ourhome/+/+/temperature', 27.5)"), 1, 'other values compare with ==');
  assert.equal(run("any('ourhome/groundfloor/+/light')"), true);
  assert.equal(run("all('ourhome/+/+/light')"), false);
  assert.equal(run("all('ourhome/+/+/light', 'on')"), false);
  assert.equal(run("all('nothing/matches/#')"), true, 'all of nothing is true');
  assert.equal(run("any('nothing/matches/#')"), false);
  assert.equal(run("avg('ourhome/+/+/temperature')"), 24.5, 'non-numeric states are skipped');
  assert.equal(run("min('ourhome/+/+/temperature')"), 21.5);
  assert.equal(run("max('ourhome/+/+/temperature')"), 27.5);
  assert.equal(run("avg('nothing/#')"), null);
  assert.equal(run('max(3, x, 1)', { x: '7' }), 7, 'min/max also take numbers');
  assert.equal(run('min([4, 2, 9])'), 2);
  assert.equal(run('avg([1, 2])'), 1.5);
  assert.equal(run("state('ourhome/firstfloor/kitchen/temperature')"), 27.5);
  assert.equal(run("state('ourhome-firstfloor-kitchen-fan')"), 'OFF');
  assert.equal(run("state('no/such/device')"), undefined);
  assert.equal(run("count(f, 'on')", { f: 'ourhome/+/+/light' }), 2, 'a computed filter');
  fails("count(f)", ExpressionErrorCodes.TYPE, `invalid topic filter "a/#/b": '#' must be the last level`, 7, { f: 'a/#/b' });
  fails("max('a', 'b')", ExpressionErrorCodes.TYPE, 'max() needs numbers, got "a"', 5);
});

test('function calls are checked when compiling: unknown names, argument counts, literal filters', () => {
  fails('foo(1)', ExpressionErrorCodes.FUNCTION, /^unknown function 'foo'; functions: abs, all, any, avg, ceil, count, default, /, 1);
  fails('x | nope', ExpressionErrorCodes.FUNCTION, /^unknown function 'nope'/, 5, { x: 1 });
  fails('round()', ExpressionErrorCodes.FUNCTION, 'round() takes 1 to 2 arguments, got 0: round(x, digits = 0)', 1);
  fails('now(1)', ExpressionErrorCodes.FUNCTION, 'now() takes 0 arguments, got 1: now() — milliseconds since 1970', 1);
  fails('default(1)', ExpressionErrorCodes.FUNCTION, 'default() takes 2 arguments, got 1: default(x, fallback)', 1);
  fails("count('ourhome/#/light')", ExpressionErrorCodes.FUNCTION, `invalid topic filter "ourhome/#/light": '#' must be the last level`, 16);
  fails("count('ourhome/kit+chen')", ExpressionErrorCodes.FUNCTION, `invalid topic filter "ourhome/kit+chen": '+' must fill a whole level`, 19);
  fails("count('area:')", ExpressionErrorCodes.FUNCTION, 'invalid area "area:": write area:FLOOR or area:FLOOR/ROOM', 13);
  fails("state('ourhome/+/x')", ExpressionErrorCodes.FUNCTION, 'state() reads one device: use count/any/all/avg for a filter', 7);
  fails('count(1)', ExpressionErrorCodes.FUNCTION, 'the filter must be a string: a topic filter or area:FLOOR/ROOM', 7);
});

test('syntax errors say what is wrong and where (1-based column)', () => {
  fails('1 +', ExpressionErrorCodes.SYNTAX, 'unexpected end of expression', 4);
  fails('(1 + 2', ExpressionErrorCodes.SYNTAX, "expected ')' but found end of expression", 7);
  fails('[1, 2', ExpressionErrorCodes.SYNTAX, "expected ']' or ',' but found end of expression", 6);
  fails('max(1 2)', ExpressionErrorCodes.SYNTAX, "expected ')' or ',' but found '2'", 7);
  fails("'open", ExpressionErrorCodes.SYNTAX, "unterminated string: add the closing '", 1);
  fails('a = 1', ExpressionErrorCodes.SYNTAX, "use '==' to compare", 3, { a: 1 });
  fails('a & b', ExpressionErrorCodes.SYNTAX, "use 'and' (or '&&')", 3);
  fails('1 < x < 3', ExpressionErrorCodes.SYNTAX, "comparisons cannot be chained: write 'a < b and b < c'", 7, { x: 2 });
  fails("'a' if x", ExpressionErrorCodes.SYNTAX, "expected 'else' (write: a if condition else b) but found end of expression", 9, { x: 1 });
  fails('x ? 1', ExpressionErrorCodes.SYNTAX, "expected ':' after the '?' branch but found end of expression", 6);
  fails('5m > 3', ExpressionErrorCodes.SYNTAX, "unexpected 'm' after the number 5", 2);
  fails('#', ExpressionErrorCodes.SYNTAX, "unexpected character '#'", 1);
  fails('  ', ExpressionErrorCodes.SYNTAX, 'empty expression', 3);
  fails('1 2', ExpressionErrorCodes.SYNTAX, "unexpected '2'", 3);
  fails("'\\q'", ExpressionErrorCodes.SYNTAX, "unknown escape '\\q'", 2);
  // Multi-line text: line and column of the line.
  assert.throws(() => compileExpression('1 +\n  * 2'), (err: ExpressionError) => err.line === 2 && err.column === 3 && err.offset === 6);
});

test('a {{ }} wrapper, as HA users write expressions, is accepted; positions stay where they were written', () => {
  assert.equal(run("{{ count('ourhome/+/+/light', 'on') > 1 }}"), true);
  fails('{{ 1 + }}', ExpressionErrorCodes.SYNTAX, 'unexpected end of expression', 8);
});

test('the step limit bounds every evaluation; each node and each state read is a step', () => {
  const big = Array.from({ length: 200 }, () => '1').join(' + ');
  const compiled = compileExpression(big);
  assert.equal(compiled.evaluate({}, host), 200);
  assert.throws(() => compiled.evaluate({}, host, { maxSteps: 100 }), (err: ExpressionError) => {
    assert.equal(err.code, ExpressionErrorCodes.STEP_LIMIT);
    assert.equal(err.message, 'expression exceeded its limit of 100 steps');
    return true;
  });
  // An aggregate costs one step per state it reads: 8 states in the fake house.
  const many = compileExpression("count('#') + count('#')");
  assert.equal(many.evaluate({}, host, { maxSteps: 21 }), 16);
  assert.throws(() => many.evaluate({}, host, { maxSteps: 20 }), { code: ExpressionErrorCodes.STEP_LIMIT });
  // A long list membership test counts its items.
  const list = Array.from({ length: 500 }, (_, i) => i);
  assert.throws(() => compileExpression('999 in xs').evaluate({ xs: list }, host, { maxSteps: 100 }), { code: ExpressionErrorCodes.STEP_LIMIT });
});

test('sizes are bounded: strings and lists produced by operators and functions', () => {
  const scope = { s: 'x'.repeat(40_000), xs: Array.from({ length: 6000 }, () => 0) };
  assert.throws(() => run('s ~ s', scope), (err: ExpressionError) => {
    assert.equal(err.code, ExpressionErrorCodes.SIZE_LIMIT);
    assert.equal(err.message, 'text of 80000 characters is longer than the limit of 65536');
    assert.equal(err.column, 1);
    return true;
  });
  assert.throws(() => run('s + s', scope), { code: ExpressionErrorCodes.SIZE_LIMIT });
  assert.throws(() => run('json([s, s])', scope), { code: ExpressionErrorCodes.SIZE_LIMIT });
  assert.throws(() => run('xs + xs', scope), { code: ExpressionErrorCodes.SIZE_LIMIT, message: 'list of 12000 items is longer than the limit of 10000' });
  assert.equal(compileExpression('len(s ~ s)').evaluate(scope, host, { maxStringLength: 100_000 }), 80_000);
});

test('nesting and length are bounded when compiling', () => {
  fails('('.repeat(150) + '1' + ')'.repeat(150), ExpressionErrorCodes.SYNTAX, 'expression is nested too deeply', 101);
  fails('-'.repeat(150) + '1', ExpressionErrorCodes.SYNTAX, 'expression is nested too deeply', 100);
  // A long chain is a deep tree too (each + holds the chain before it): refused at the operand past the bound.
  fails(Array.from({ length: 300 }, () => 'x').join(' + '), ExpressionErrorCodes.SYNTAX, 'expression is nested too deeply', 201, { x: 1 });
  fails('1'.padEnd(10_001, ' '), ExpressionErrorCodes.SYNTAX, 'expression is longer than 10000 characters', 1);
});

test('references: what an expression reads, for the engine to know when to re-evaluate', () => {
  const refs = compileExpression("count('ourhome/+/+/light', 'on') > 2 and state('kitchen-fan', 'state') == 'OFF' and trigger.id == floor").references;
  assert.deepEqual(refs.filters, ['ourhome/+/+/light']);
  assert.deepEqual(refs.states, [{ ref: 'kitchen-fan', property: 'state' }]);
  assert.deepEqual(refs.names.sort(), ['floor', 'trigger']);
  assert.equal(refs.dynamic, false);
  assert.equal(refs.usesNow, false);
  assert.equal(compileExpression('count(f) + now()').references.dynamic, true);
  assert.equal(compileExpression('max(1, 2)').references.dynamic, false, 'min/max over numbers read no state');
  assert.equal(compileExpression('now() > 0').references.usesNow, true);
});
