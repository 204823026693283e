import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, compileTemplateValue, ExpressionError, ExpressionErrorCodes } from '../../../rules/expressions/index.js';
import { fakeHost, HOUSE } from './fake-host.js';

const host = fakeHost(HOUSE);

test('a template that is only {{ expr }} gives the raw value: a number stays a number', () => {
  const t = compileTemplate("{{ count('ourhome/+/+/light', 'on') }}");
  assert.equal(t.isSingleExpression, true);
  assert.equal(t.render({}, host), 2);
  assert.equal(compileTemplate('  {{ x }}\n').render({ x: [1] }, host)?.toString(), '1', 'whitespace around is allowed (YAML blocks end in a newline)');
  assert.deepEqual(compileTemplate('{{ x }}').render({ x: { a: 1 } }, host), { a: 1 });
  assert.equal(compileTemplate('{{ x.missing }}').render({ x: {} }, host), undefined);
});

test('text with {{ }} parts renders as text; values are written as JSON would, missing as nothing', () => {
  const t = compileTemplate("{{ count('ourhome/+/+/light', 'on') }} lights on");
  assert.equal(t.isSingleExpression, false);
  assert.equal(t.render({}, host), '2 lights on');
  assert.equal(compileTemplate('{{ a }}/{{ b }}/{{ c }}/{{ d }}').render({ a: true, b: null, c: [1, 'x'], d: undefined }, host), 'true/null/[1,"x"]/');
  assert.equal(compileTemplate('ourhome/{{ floor }}/{{ room }}/light/set').render({ floor: 'firstfloor', room: 'kitchen' }, host), 'ourhome/firstfloor/kitchen/light/set');
});

test('text without {{ }} is static and comes back unchanged', () => {
  const t = compileTemplate('ON');
  assert.equal(t.isStatic, true);
  assert.equal(t.render({}, host), 'ON');
  assert.equal(compileTemplate('a } b }} c').render({}, host), 'a } b }} c', 'a stray }} is text, as in Jinja');
});

test('}} inside a quoted string does not close the expression', () => {
  assert.equal(compileTemplate("a {{ '}}' ~ \"}}\" }} b").render({}, host), 'a }}}} b');
});

test('template errors point into the template text', () => {
  const at = (text: string, code: string, message: string, column: number, line = 1) =>
    assert.throws(() => compileTemplate(text), (err: ExpressionError) => {
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      assert.deepEqual([err.line, err.column], [line, column]);
      return true;
    });
  at('Lights: {{ count( }}', ExpressionErrorCodes.SYNTAX, "unexpected end of expression", 19);
  at('Lights: {{ 1 + 1', ExpressionErrorCodes.SYNTAX, "unclosed '{{': add '}}'", 9);
  at('{% if x %}on{% endif %}', ExpressionErrorCodes.SYNTAX, 'statements ({% ... %}) are not supported: use an expression such as {{ a if condition else b }}', 1);
  at("a {{ 'open }}", ExpressionErrorCodes.SYNTAX, "unterminated string: add the closing '", 6);
  at('first line\nsecond {{ nope() }}', ExpressionErrorCodes.FUNCTION, "unknown function 'nope'; functions: abs, all, any, avg, ceil, count, default, float, floor, int, json, len, lower, max, min, now, number, round, state, string, upper", 11, 2);
  // Errors while rendering too.
  assert.throws(() => compileTemplate('x = {{ 1 / 0 }}').render({}, host), { code: ExpressionErrorCodes.TYPE, message: 'division by zero', column: 12 });
});

test('one step budget for the whole template', () => {
  const t = compileTemplate("{{ count('#') }} and {{ count('#') }}");
  assert.equal(t.render({}, host, { maxSteps: 20 }), '8 and 8');
  assert.throws(() => t.render({}, host, { maxSteps: 19 }), { code: ExpressionErrorCodes.STEP_LIMIT });
  assert.throws(() => compileTemplate('{{ s }}{{ s }}').render({ s: 'x'.repeat(40) }, host, { maxStringLength: 50 }), {
    code: ExpressionErrorCodes.SIZE_LIMIT,
    message: 'text of 80 characters is longer than the limit of 50',
  });
});

test('template values: every string of a payload is a template; a single {{ }} keeps its type', () => {
  const v = compileTemplateValue({ count: "{{ count('ourhome/+/+/light', 'on') }}", text: '{{ 1 + 1 }} on', fixed: 5, on: true, list: ['{{ x }}', 'y'], nothing: '{{ x.missing }}' });
  assert.deepEqual(v.render({ x: { a: 1 } }, host), { count: 2, text: '2 on', fixed: 5, on: true, list: [{ a: 1 }, 'y'], nothing: null });
  assert.deepEqual(v.references.filters, ['ourhome/+/+/light']);
  assert.equal(compileTemplateValue('ON').render({}, host), 'ON');
  // A key "__proto__" in a payload stays a key.
  const proto = compileTemplateValue(JSON.parse('{"__proto__": "{{ 1 }}"}')).render({}, host) as Record<string, unknown>;
  assert.deepEqual(Object.keys(proto), ['__proto__']);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
});
