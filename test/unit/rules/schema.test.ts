import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRuleText } from '../../../rules/schema/index.js';
import { errorsOf, lines, LOG, START } from './schema-helpers.js';

test('a valid rule gives the typed rule, with defaults and normalised values, deeply frozen', () => {
  const result = validateRuleText(
    lines(
      'triggers:',
      '  - trigger: state',
      '    device: kitchen-fan',
      '    to: on',
      '    for: 00:01:30',
      'conditions: "count(\'ourhome/+/+/light\', \'on\') > 0"',
      'actions:',
      '  action: delay',
      '  duration: {minutes: 1, seconds: 30}',
    ),
    'rules/fan-check.yaml',
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.rule, {
    id: 'fan-check',
    name: 'fan-check',
    enabled: true,
    mode: 'single',
    triggers: [{ trigger: 'state', device: 'kitchen-fan', to: ['on'], for: 90_000 }],
    conditions: [{ condition: 'expression', expression: "count('ourhome/+/+/light', 'on') > 0" }],
    actions: [{ action: 'delay', duration: 90_000 }],
  });
  assert.ok(Object.isFrozen(result.rule!.triggers[0]));
});

test('YAML syntax errors are reported with their position, and stop validation', () => {
  assert.deepEqual(errorsOf(lines('triggers: [{trigger: start}', 'actions: x')), [
    '2:1  | YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  assert.deepEqual(errorsOf(lines('id: a', 'id: b') + START + LOG), ["2:1 id | duplicate key 'id'"]);
  assert.deepEqual(errorsOf(lines('a: b', '---', 'c: d')), ["2:1  | a rule file holds one YAML document: remove the second '---' part"]);
});

test('the file as a whole: empty, a list (HA automations.yaml), no triggers, no actions, no usable id', () => {
  assert.deepEqual(errorsOf(''), ['1:1  | the file is empty: a rule needs at least triggers and actions']);
  assert.deepEqual(errorsOf('# only a comment\n'), ['1:1  | the file is empty: a rule needs at least triggers and actions']);
  assert.deepEqual(errorsOf(lines('- id: a', '  triggers: []')), [
    "1:1  | a rule file holds one rule (a mapping), not a list; Home Assistant's automations.yaml is a list: put each rule in its own file",
  ]);
  assert.deepEqual(errorsOf(LOG), ['1:1  | a rule needs at least one trigger (or a keep block)']);
  assert.deepEqual(errorsOf(lines('triggers: []') + LOG), ['1:11 triggers | a rule needs at least one trigger (or a keep block)']);
  assert.deepEqual(errorsOf(START), ['1:1  | a rule needs at least one action (or a keep block)']);
  assert.deepEqual(errorsOf(START + LOG, 'My Rule.yaml'), [
    "1:1  | missing required key 'id' (the file name is not a valid id: use lowercase letters, digits, - and _)",
  ]);
  assert.deepEqual(errorsOf(lines('id: Bad Id') + START + LOG), ['1:5 id | invalid rule id "Bad Id": use lowercase letters, digits, - and _ (at most 64)']);
});

test('top-level keys: unknown ones with a suggestion, HA spellings with the rumah one, modes and max', () => {
  assert.deepEqual(errorsOf(lines('alias: Fan', 'trigger: []', 'actons: []', 'colour: red') + START + LOG), [
    "1:1 alias | unknown key 'alias': use 'name'",
    "2:1 trigger | unknown key 'trigger': use 'triggers' (a list)",
    "3:1 actons | unknown key 'actons' (did you mean 'actions'?)",
    "4:1 colour | unknown key 'colour'; valid keys: id, name, description, enabled, mode, max, catch_up, triggers, conditions, actions, keep",
  ]);
  assert.deepEqual(errorsOf(lines('mode: paralel', 'max: 0') + START + LOG), [
    "1:7 mode | expected one of single, restart, queued, parallel, got \"paralel\" (did you mean 'parallel'?)",
    '2:6 max | expected a whole number from 1 to 1000, got 0',
    "2:1 max | 'max' applies to mode queued or parallel, not single",
  ].sort((a, b) => a.localeCompare(b)));
  assert.deepEqual(errorsOf(lines('enabled: "yes"') + START + LOG), ['1:10 enabled | expected true or false, got "yes"']);
});

test('trigger kinds: unknown with the valid list, HA names, missing kind, the old platform key', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: mqtts',
        '    topic: a',
        '  - trigger: numeric_state',
        '  - trigger: timer',
        '  - platform: state',
        '  - topic: a/b',
        '  - start',
      ) + LOG,
    ),
    [
      "2:14 triggers[0].trigger | unknown trigger type \"mqtts\" (did you mean 'mqtt'?); valid types: mqtt, state, numeric, cron, sun, event, availability, start, webhook",
      "4:14 triggers[1].trigger | unknown trigger type \"numeric_state\": rumah calls it 'numeric'; valid types: mqtt, state, numeric, cron, sun, event, availability, start, webhook",
      '5:14 triggers[2].trigger | unknown trigger type "timer"; valid types: mqtt, state, numeric, cron, sun, event, availability, start, webhook',
      "6:5 triggers[3].platform | use 'trigger: ...' ('platform' is the old Home Assistant spelling)",
      "7:5 triggers[4] | missing required key 'trigger' (one of: mqtt, state, numeric, cron, sun, event, availability, start, webhook)",
      '8:5 triggers[5] | expected a trigger (a mapping with trigger: TYPE), got "start"',
    ],
  );
});

test('missing keys, unknown keys and wrong types inside a trigger', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: mqtt',
        '  - trigger: state',
        '    entity_id: sensor.kitchen',
        '    device: [a]',
        '  - trigger: numeric',
        '    device: kitchen',
        '    above: "28"',
        '    belw: 3',
        '  - trigger: sun',
        '    event: dusk',
      ) + LOG,
    ),
    [
      "2:5 triggers[0] | missing required key 'topic'",
      "4:5 triggers[1].entity_id | unknown key 'entity_id': use 'device' (a device id or the topic it reports on)",
      '5:13 triggers[1].device | expected a string, got a list',
      '8:12 triggers[2].above | expected a number, got the text "28" (write it without quotes)',
      "9:5 triggers[2].belw | unknown key 'belw' (did you mean 'below'?)",
      '11:12 triggers[3].event | expected one of sunrise, sunset, got "dusk"',
    ],
  );
});

test('numeric triggers: one source, a range that makes sense, hysteresis not negative', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: numeric',
        '    above: 1',
        '  - trigger: numeric',
        '    device: a',
        '    topic: b',
        '    below: 1',
        '  - trigger: numeric',
        '    topic: a',
        '    property: p',
        '    above: 30',
        '    below: 20',
        '    hysteresis: -1',
        '  - trigger: numeric',
        '    device: a',
      ) + LOG,
    ),
    [
      "2:5 triggers[0] | needs 'device' (a device's property) or 'topic' (any message)",
      "6:5 triggers[1].topic | use either 'device' or 'topic', not both",
      "10:5 triggers[2].property | 'property' goes with 'device'",
      '11:12 triggers[2].above | above (30) must be less than below (20): the value must be above AND below',
      '13:17 triggers[2].hysteresis | hysteresis must be 0 or more',
      "14:5 triggers[3] | needs 'above', 'below' or both",
    ],
  );
});

test('durations, cron expressions, time zones', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: state',
        '    device: a',
        '    for: 5 minutes',
        '  - trigger: state',
        '    device: a',
        '    for: -5m',
        '  - trigger: sun',
        '    event: sunset',
        '    offset: -30m',
        '  - trigger: cron',
        '    expression: "61 * * * *"',
        '    timezone: Mars/Olympus',
        '  - trigger: cron',
        '    expression: "* * *"',
      ) +
        lines('actions:', '  - action: delay', '    duration: {minutes: 5, secs: 1}'),
    ),
    [
      '4:10 triggers[0].for | invalid duration "5 minutes": use a number of seconds, 30s, 5m, 1h30m or 00:05:00',
      '7:10 triggers[1].for | invalid duration "-5m": a duration cannot be negative here',
      `12:17 triggers[3].expression | invalid cron expression "61 * * * *": the minute field '61' is out of range or malformed (format: minute hour day-of-month month day-of-week)`,
      '13:15 triggers[3].timezone | unknown time zone "Mars/Olympus" (use a name like Europe/Amsterdam or UTC)',
      '15:17 triggers[4].expression | invalid cron expression "* * *": expected 5 or 6 fields but got 3 (format: minute hour day-of-month month day-of-week)',
      "18:28 actions[0].duration.secs | unknown key 'secs'; valid keys: days, hours, minutes, seconds, milliseconds",
    ],
  );
});

test('topic filters: # not last, wildcard inside a level, bad named levels; no wildcards where publishing', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: mqtt',
        '    topic: ourhome/#/light',
        '  - trigger: mqtt',
        '    topic: ourhome/kit+chen/light',
        '  - trigger: mqtt',
        '    topic: "ourhome/{floor}/x{room}"',
        'actions:',
        '  - action: publish',
        '    topic: "ourhome/{{ floor }}/+/set"',
        '  - action: publish',
        '    topic: ourhome/#',
      ),
    ),
    [
      `3:20 triggers[0].topic | invalid topic filter "ourhome/#/light": '#' must be the last level`,
      `5:23 triggers[1].topic | invalid topic filter "ourhome/kit+chen/light": '+' must fill a whole level`,
      '7:30 triggers[2].topic | invalid topic filter "ourhome/{floor}/x{room}": a named level {name} must fill a whole level',
      `10:33 actions[0].topic | invalid topic "ourhome/{{ floor }}/+/set": a topic to publish to cannot contain the wildcard '+'`,
      `12:20 actions[1].topic | invalid topic "ourhome/#": a topic to publish to cannot contain the wildcard '#'`,
    ],
  );
});
