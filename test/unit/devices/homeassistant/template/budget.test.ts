import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_OUTPUT, MAX_WORK, TemplateError, compileTemplate, payloadVars, type PyValue } from '../../../../../devices/homeassistant/template/index.js';
import { Evaluator } from '../../../../../devices/homeassistant/template/evaluate.js';
import { parseTemplate } from '../../../../../devices/homeassistant/template/parser.js';
import { MAX_TEMPLATE_INPUT_CHARS } from '../../../../../devices/shared/limits.js';

// The template engine's limits (budget.ts): the work a render may do is charged by the size of what it touches,
// every value it computes is at most MAX_OUTPUT characters, and its input is capped. The work counted is asserted,
// never a time.

const render = (src: string, vars: Record<string, PyValue>): PyValue => compileTemplate(src).render(vars);
const refused = (src: string, vars: Record<string, PyValue>, message: RegExp) =>
  assert.throws(() => render(src, vars), (e: unknown) => e instanceof TemplateError && message.test(e.message), src);
const csv = (chars: number): string => 'ab,'.repeat(Math.ceil(chars / 3)).slice(0, chars);

describe('homeassistant template limits', () => {
  it('charges a builtin by the size of what it touches: split on a huge value is refused for its budget', () => {
    // 250 KiB, as in the report: one step, but 256,000 characters read.
    refused("{{ value.split(',')[0] }}", { value: csv(250 * 1024) }, /budget/);
    refused("{{ value | replace('a', 'b') }}", { value: csv(MAX_WORK + 1) }, /budget/);
    refused("{{ 'x' in value }}", { value: csv(MAX_WORK + 1) }, /budget/);
    refused('{{ value | length }}', { value: csv(MAX_WORK + 1) }, /budget/);
    // The same template on an ordinary payload works, and its work is counted by size.
    assert.equal(render("{{ value.split(',')[1] }}", { value: 'a,b,c' }), 'b');
    const small = new Evaluator({ value: csv(1000) }).run(parseTemplate("{{ value.split(',') | length }}"));
    assert.equal(small, 334);
    const e = new Evaluator({ value: csv(10_000) });
    e.run(parseTemplate("{{ value.split(',') | length }}"));
    assert.ok(e.spent >= 10_000, `work counted by size: ${e.spent}`);
  });

  it('refuses once the work of many small touches adds up', () => {
    // Each `value.split` reads 40,000 characters: well within the output bound, but 7 of them pass the budget.
    const value = csv(40_000);
    assert.equal(render("{{ value.split(',') | length }}", { value }), 13_334);
    const many = `{{ ${Array.from({ length: 8 }, () => "value.split(',')[0]").join(' ~ ')} }}`;
    refused(many, { value }, /budget/);
  });

  it('bounds every value a template computes to MAX_OUTPUT, on every path', () => {
    const value = 'v'.repeat(40_000);
    const vars = { ...payloadVars(value) };
    refused('{{ value ~ value }}', vars, /longer than 65536/); // concatenation, the 256 MB case of the report
    refused('{{ value + value }}', vars, /longer than 65536/);
    refused('{{ (value ~ value) | length }}', vars, /longer than 65536/);
    refused('x{{ value }}{{ value }}', vars, /longer than 65536/); // rendered text
    refused("{{ value | replace('v', 'vv') }}", vars, /too long|longer than/);
    refused("{{ value.replace('v', 'vv') }}", vars, /too long|longer than/);
    refused("{{ [value, value] | join(',') }}", vars, /longer than 65536/); // a list literal
    refused("{{ {'a': value, 'b': value} }}", vars, /longer than 65536/); // a dict literal
    refused("{{ [value] + [value] }}", vars, /longer than 65536/);
    refused("{% set x = value ~ value %}{{ x | length }}", vars, /longer than 65536/);
    refused("{{ value | upper ~ value | lower }}", vars, /longer than 65536|budget/);
    refused("{{ 'x' * 70000 }}", {}, /too long/);
    // A list made from the input counts its items too.
    refused("{{ value.split('') }}", vars, /longer than 65536/);
    // Just under the bound is fine.
    assert.equal((render('{{ value ~ value }}', { value: 'v'.repeat(MAX_OUTPUT / 2) }) as string).length, MAX_OUTPUT);
  });

  it('refuses, before any work, a payload larger than the template input cap', () => {
    const over = 'x'.repeat(MAX_TEMPLATE_INPUT_CHARS + 1);
    assert.throws(() => payloadVars(over), (e: unknown) => e instanceof TemplateError && /over the 65536-character limit for templates/.test(e.message));
    assert.equal(payloadVars('x'.repeat(MAX_TEMPLATE_INPUT_CHARS)).value, 'x'.repeat(MAX_TEMPLATE_INPUT_CHARS));
  });
});

describe('homeassistant template lookups', () => {
  it('charges a lookup into a large JSON payload its step only, so many of them fit', () => {
    // A 60 KB JSON object: walking it costs 60,000; forty `.get()`, `|default` and `is defined` on it do not.
    const data: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) data[`k${i}`] = 'v'.repeat(50);
    const vars = payloadVars(JSON.stringify(data));
    const gets = Array.from({ length: 40 }, (_, i) => `value_json.get('k${i}', '') | length`).join(' + ');
    const e = new Evaluator(vars);
    assert.equal(e.run(parseTemplate(`{{ ${gets} }}`)), 40 * 50);
    assert.ok(e.spent < 10_000, `lookups cost steps only: ${e.spent}`);
    assert.equal(render("{{ (value_json | default({})).k5 if value_json is defined else 'none' }}", vars), 'v'.repeat(50));
    // Walking it is charged: tojson reads it all and produces it all, `==` compares it all.
    const walk = new Evaluator(vars);
    walk.run(parseTemplate('{{ value_json | tojson | length }}'));
    assert.ok(walk.spent > 2 * 55_000, `tojson charged by size: ${walk.spent}`);
    refused('{{ value_json == value_json and value_json == value_json and value_json == value_json and value_json == value_json }}', vars, /budget/);
  });
});
