import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateError, UNDEFINED, compileTemplate, payloadVars, type PyValue } from '../../../devices/homeassistant/template/index.js';

// The Jinja subset, evaluated without eval/Function/vm: results as HA would render them.

const run = (src: string, payload = '', extra: Record<string, PyValue> = {}): PyValue =>
  compileTemplate(src).render({ ...payloadVars(payload), ...extra });
const fails = (src: string, payload: string, message: RegExp) =>
  assert.throws(() => run(src, payload), (e: unknown) => e instanceof TemplateError && message.test(e.message));

describe('homeassistant template subset', () => {
  it('reads value and value_json, by attribute and by key', () => {
    assert.equal(run('{{ value }}', 'ON'), 'ON');
    assert.equal(run('{{ value_json.temperature }}', '{"temperature": 22.4}'), 22.4);
    assert.equal(run("{{ value_json['humidity'] }}", '{"humidity": 51}'), 51);
    assert.equal(run('{{ value_json.ENERGY.Power }}', '{"ENERGY": {"Power": 52}}'), 52);
    assert.equal(run('{{ value_json.list[1] }}', '{"list": [1, 2]}'), 2);
    assert.equal(run('{{ value_json.list[-1] }}', '{"list": [1, 2, 3]}'), 3);
    assert.equal(run('{{ value_json.missing }}', '{}'), UNDEFINED);
    assert.equal(run('[{{ value_json.missing }}]', '{}'), '[]', 'undefined renders as nothing');
  });

  it('applies float, int, round, default, lower, upper', () => {
    assert.equal(run('{{ value | float }}', ' 21.5 '), 21.5);
    assert.equal(run('{{ value | float(0) }}', 'n/a'), 0);
    assert.equal(run('{{ value | float(default=-1) }}', 'n/a'), -1);
    assert.equal(run('{{ value | int }}', '21.7'), 21);
    assert.equal(run("{{ value | int(base=16) }}", '1f'), 31);
    assert.equal(run('{{ value | float | round(1) }}', '21.66'), 21.7);
    assert.equal(run('{{ value | round }}', '2.5'), 2, 'Python rounds halves to even');
    assert.equal(run('{{ value | round }}', '3.5'), 4);
    assert.equal(run("{{ value | round(0, 'floor') }}", '3.9'), 3);
    assert.equal(run('{{ value_json.x | default(7) }}', '{}'), 7);
    assert.equal(run("{{ value_json.x | default('none', true) }}", '{"x": ""}'), 'none');
    assert.equal(run('{{ value_json.x | default(7) }}', '{"x": null}'), null, 'default only replaces undefined');
    assert.equal(run('{{ value | lower }}', 'ONLINE'), 'online');
    assert.equal(run('{{ value | upper }}', 'on'), 'ON');
  });

  it('evaluates iif, ternaries, comparisons, boolean logic and concatenation', () => {
    assert.equal(run("{{ iif(value_json.on, 'ON', 'OFF') }}", '{"on": true}'), 'ON');
    assert.equal(run("{{ value_json.on | iif('ON', 'OFF') }}", '{"on": 0}'), 'OFF');
    assert.equal(run("{{ iif(value_json.x, 'y', 'n', 'none') }}", '{"x": null}'), 'none');
    assert.equal(run("{{ 'ON' if value_json.state == 'on' else 'OFF' }}", '{"state": "on"}'), 'ON');
    assert.equal(run("{{ 'hot' if value | float > 26 else 'ok' }}", '29.1'), 'hot');
    assert.equal(run('{{ 1 < value_json.x <= 3 }}', '{"x": 3}'), true);
    assert.equal(run("{{ value_json.a and value_json.b or 'fallback' }}", '{"a": 1, "b": 0}'), 'fallback');
    assert.equal(run("{{ not value_json.a }}", '{"a": []}'), true);
    assert.equal(run("{{ 'a' in value }}", 'cat'), true);
    assert.equal(run("{{ 'x' not in value_json }}", '{"x": 1}'), false);
    assert.equal(run("{{ value ~ ' °C' }}", '21'), '21 °C');
    assert.equal(run("{{ 'T=' + value }}", '21'), 'T=21');
    assert.equal(run('{{ value_json.n * 2 + 1 }}', '{"n": 4}'), 9);
    assert.equal(run('{{ 7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 }}'), '3 2 8');
    assert.equal(run('{{ value_json.x is defined }}/{{ value_json.y is not defined }}', '{"x": 1}'), 'True/True');
  });

  it('renders mixed text, if/elif/else, set and whitespace control', () => {
    assert.equal(run('{% if value_json.ison %}ON{% else %}OFF{% endif %}', '{"ison": false}'), 'OFF');
    assert.equal(run("{% if value == 'a' %}1{% elif value == 'b' %}2{% else %}3{% endif %}", 'b'), '2');
    // Python would print 3.0: numbers do not remember whether they were floats (see docs/conventions.md).
    assert.equal(run('{% set t = value | float %}{{ t * 2 }}', '1.5'), '3');
    assert.equal(run('  {{- value -}}  !', 'x'), 'x!');
    assert.equal(run('{# a comment #}{{ value }}', 'x'), 'x');
    assert.equal(run("{{ {'state': value, 'n': 1} | tojson }}", 'ON'), '{"state":"ON","n":1}');
    assert.equal(run("{{ value.split(',')[1] | trim }}", 'a, b'), 'b');
    assert.equal(run('{{ True }} {{ none }} {{ [1, "a"] }}'), "True None [1, 'a']");
  });

  it('fails clearly where HA fails, instead of guessing', () => {
    fails('{{ value | float }}', 'warm', /float got invalid input "warm" \(str\) and no default was specified/);
    fails('{{ value_json.a.b }}', '{}', /cannot read "b" of undefined/);
    fails('{{ value | frobnicate }}', '', /unsupported filter \|frobnicate/);
    fails("{{ is_state('light.x', 'on') }}", '', /unsupported function is_state\(\)/);
    fails('{{ 1 / 0 }}', '', /division by zero/);
    fails("{{ 'a' < 1 }}", '', /cannot order str and int/);
    assert.throws(() => compileTemplate('{{ value '), /unclosed tag/);
    assert.throws(() => compileTemplate('{% if value %}x'), /missing \{% endif %\}/);
  });

  it('never reaches JavaScript internals', () => {
    assert.equal(run('{{ value_json.constructor }}', '{}'), UNDEFINED);
    assert.equal(run("{{ value_json['__proto__'] }}", '{}'), UNDEFINED);
    assert.equal(run('{{ value.constructor }}', 'x'), UNDEFINED);
    fails("{{ value.constructor('return 1') }}", 'x', /unsupported method str\.constructor\(\)/);
    assert.throws(() => compileTemplate("{{ value.split(',')() }}"), /unexpected "\("/, 'calling a result is not syntax');
    assert.equal(run("{{ {'__proto__': 1}['__proto__'] }}"), 1, 'a dict key named __proto__ is just a key');
  });

  it('bounds work: step limit, output size, nesting depth', () => {
    const long = `{{ ${Array.from({ length: 800 }, () => 'value').join(' ~ ')} }}`;
    assert.throws(() => compileTemplate(long).render(payloadVars('x'), 500), /exceeded 500 evaluation steps/);
    assert.throws(() => run("{{ 'x' * 100000 }}"), /too long/);
    assert.throws(() => compileTemplate(`{{ ${'('.repeat(200)}1${')'.repeat(200)} }}`), /nested too deeply/);
    assert.throws(() => compileTemplate(`{{ '${'a'.repeat(9000)}' }}`), /longer than 8192/);
  });
});
