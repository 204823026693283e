import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileExpression, compileTemplateValue } from '../../../rules/expressions/index.js';
import { validateRuleText } from '../../../rules/schema/index.js';
import type { ChooseAction, PublishAction, Rule } from '../../../rules/types.js';
import { fakeHost, HOUSE } from './fake-host.js';

// The YAML examples are not compiled: read them from the source tree (dist/test/unit/rules → repository root).
const EXAMPLES = fileURLToPath(new URL('../../../../rules/examples/', import.meta.url));

function load(name: string): Rule {
  const result = validateRuleText(readFileSync(EXAMPLES + name, 'utf8'), name);
  assert.deepEqual(result.errors, [], name);
  return result.rule!;
}

test('every shipped example validates, and its id is its file name', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['kitchen-hot-fan.yaml', 'lights-on-count.yaml', 'morning-lights.yaml']);
  for (const file of files) assert.equal(load(file).id, file.replace('.yaml', ''));
});

test('lights-on-count: any light message publishes the number of lights on, retained, as a number', () => {
  const rule = load('lights-on-count.yaml');
  assert.deepEqual(rule.triggers, [{ trigger: 'mqtt', topic: 'ourhome/+/+/light' }]);
  const publish = rule.actions[0] as PublishAction;
  assert.equal(publish.topic, 'ourhome/stats/lights_on');
  assert.equal(publish.retain, true);
  assert.equal(compileTemplateValue(publish.payload!).render({}, fakeHost(HOUSE)), 2);
});

test('kitchen-hot-fan: on after 5 minutes above 28, off below 26, chosen by trigger id', () => {
  const rule = load('kitchen-hot-fan.yaml');
  assert.deepEqual(rule.triggers, [
    { trigger: 'numeric', id: 'hot', topic: 'ourhome/firstfloor/kitchen/temperature', above: 28, for: 300_000 },
    { trigger: 'numeric', id: 'cool', topic: 'ourhome/firstfloor/kitchen/temperature', below: 26 },
  ]);
  const choose = rule.actions[0] as ChooseAction;
  assert.deepEqual(
    choose.options.map((o) => [o.conditions, (o.actions[0] as PublishAction).topic, (o.actions[0] as PublishAction).payload]),
    [
      [[{ condition: 'trigger', id: ['hot'] }], 'ourhome/firstfloor/kitchen/fan/set', 'ON'],
      [[{ condition: 'trigger', id: ['cool'] }], 'ourhome/firstfloor/kitchen/fan/set', 'OFF'],
    ],
  );
});

test('morning-lights: weekdays at 06:45 in a time zone, catching up a missed run', () => {
  const rule = load('morning-lights.yaml');
  assert.deepEqual(rule.triggers, [{ trigger: 'cron', expression: '45 6 * * 1-5', timezone: 'Europe/Amsterdam', catch_up: true }]);
  // Its condition runs against the fake house: no illuminance reported, so it counts as dark.
  const condition = rule.conditions[0]!;
  assert.equal(condition.condition, 'expression');
  if (condition.condition === 'expression') assert.equal(compileExpression(condition.expression).evaluate({}, fakeHost(HOUSE)), true);
  assert.equal(rule.actions.filter((a) => a.action === 'publish').length, 2);
});
