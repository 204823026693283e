import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRuleText } from '../../../rules/schema/index.js';
import { errorsOf, lines, LOG, START } from './schema-helpers.js';

test('expression errors are placed at their column inside the YAML line, whatever the quoting', () => {
  assert.deepEqual(
    errorsOf(
      START +
        lines(
          'conditions:',
          "  - count('ourhome/+/+/light', 'on') >> 3",
          '  - "state(\\"a\\") ++"',
          "  - 'state(''a'') == = 1'",
          '  - condition: expression',
          '    expression: |',
          '      state("a") > 1 and',
          '      missing_fn(2)',
          '  - condition: expression',
          '    expression: >-',
          '      1 +',
          '      2 +',
          '  - "{{ x.constructor }}"',
          '  - condition: expression',
          "    expression: count('ourhome/#/x') > 1",
        ) +
        LOG,
    ),
    [
      "4:39 conditions[0] | unexpected '>'",
      '5:21 conditions[1] | unexpected end of expression',
      "6:22 conditions[2] | use '==' to compare",
      "10:7 conditions[3].expression | unknown function 'missing_fn'; functions: abs, all, any, avg, ceil, count, default, float, floor, int, json, len, lower, max, min, now, number, round, state, string, upper",
      '14:10 conditions[4].expression | unexpected end of expression',
      "15:11 conditions[5] | 'constructor' is not allowed",
      `17:32 conditions[6].expression | invalid topic filter "ourhome/#/x": '#' must be the last level`,
    ],
  );
});

test('templates: errors at their column, statements refused, unquoted {{ }} explained', () => {
  assert.deepEqual(
    errorsOf(
      START +
        lines(
          'actions:',
          '  - action: publish',
          '    topic: a/b',
          '    payload: {{ x }}',
          '  - action: publish',
          '    topic: a/b',
          '    payload:',
          '      count: "{{ round(1, 2, 3) }}"',
          '      text: "lights: {{ 1 + }}"',
          '  - action: log',
          '    message: "{% if x %}on{% endif %}"',
          '  - action: notify',
          '    message: |',
          '      Kitchen:',
          '      {{ state(',
        ),
    ),
    [
      '6:14 actions[0].payload | a template that starts with {{ must be quoted: "{{ ... }}"',
      '10:18 actions[1].payload.count | round() takes 1 to 2 arguments, got 3: round(x, digits = 0)',
      '11:29 actions[1].payload.text | unexpected end of expression',
      '13:15 actions[2].message | statements ({% ... %}) are not supported: use an expression such as {{ a if condition else b }}',
      "17:7 actions[3].message | unclosed '{{': add '}}'",
    ],
  );
});

test('trigger ids: duplicates, and condition: trigger naming an id no trigger has', () => {
  assert.deepEqual(
    errorsOf(
      lines(
        'triggers:',
        '  - trigger: start',
        '    id: boot',
        '  - trigger: start',
        '    id: boot',
        'conditions:',
        '  - condition: trigger',
        '    id: [boot, bot]',
        'actions:',
        '  - action: if',
        '    conditions:',
        '      - condition: trigger',
        '        id: shutdown',
        '    then:',
        '      - action: log',
        '        message: x',
      ),
    ),
    [
      "5:9 triggers[1].id | duplicate trigger id 'boot' (already used by triggers[0])",
      "8:16 conditions[0].id[1] | unknown trigger id 'bot'; this rule's trigger ids: boot",
      "13:13 actions[0].conditions[0].id | unknown trigger id 'shutdown'; this rule's trigger ids: boot",
    ],
  );
  assert.deepEqual(errorsOf(START + lines('conditions:', '  - condition: trigger', '    id: hot') + LOG), [
    "5:9 conditions[0].id | unknown trigger id 'hot': no trigger of this rule has an id",
  ]);
});

test('conditions: kinds, time windows, weekdays, nested lists', () => {
  assert.deepEqual(
    errorsOf(
      START +
        lines(
          'conditions:',
          '  - condition: template',
          '  - condition: time',
          '    after: "25:00"',
          '    weekday: [mon, tuesday]',
          '  - condition: time',
          '  - condition: or',
          '    conditions: []',
          '  - condition: state',
          '    device: a',
          '  - 42',
        ) +
        LOG,
    ),
    [
      "4:16 conditions[0].condition | unknown condition type \"template\": use 'expression' (or write the expression as a plain string in the list); valid types: state, numeric, time, and, or, not, expression, trigger",
      '6:12 conditions[1].after | invalid time "25:00": use HH:MM or HH:MM:SS (24-hour)',
      '7:20 conditions[1].weekday[1] | expected one of mon, tue, wed, thu, fri, sat, sun, got "tuesday"',
      "8:5 conditions[2] | needs 'after', 'before' or 'weekday'",
      '10:17 conditions[3].conditions | needs at least one condition',
      "11:5 conditions[4] | missing required key 'state'",
      '13:5 conditions[5] | expected a condition (a mapping with condition: TYPE, or an expression string), got 42',
    ],
  );
});

test('actions: the kind key, HA spellings, option lists, ranges, URLs and rule ids', () => {
  assert.deepEqual(
    errorsOf(
      START +
        lines(
          'actions:',
          '  - delay: 5m',
          '  - service: light.turn_on',
          '  - action: light.turn_on',
          '  - action: choose',
          '    options:',
          '      - conditions: []',
          '        sequence: []',
          '  - action: publish',
          '    topic: a',
          '    qos: 3',
          '    data: {payload: x}',
          '  - action: notify',
          '    message: hi',
          '    webhook: ftp://example.com/hook',
          '  - action: run',
          '    rule: Other_Rule',
          '  - action: wait',
          '    timeout: 10s',
        ),
    ),
    [
      "4:5 actions[0] | missing required key 'action'; write 'action: delay' (the kind is named by the action key)",
      "5:5 actions[1].service | use 'action: ...' ('service' is the old Home Assistant spelling)",
      "6:13 actions[2].action | unknown action type \"light.turn_on\": Home Assistant services do not exist here; use 'set' (a device property) or 'publish'; valid types: publish, set, delay, wait, choose, if, notify, run, log",
      "9:9 actions[3].options[0] | missing required key 'actions'",
      "10:9 actions[3].options[0].sequence | unknown key 'sequence': use 'actions'",
      '13:10 actions[4].qos | expected a whole number from 0 to 2, got 3',
      "14:5 actions[4].data | unknown key 'data': write the fields (topic, payload, ...) directly under the action",
      '17:14 actions[5].webhook | invalid webhook "ftp://example.com/hook": use an http:// or https:// URL',
      '19:11 actions[6].rule | invalid rule id "Other_Rule": use lowercase letters, digits, - and _ (at most 64)',
      "20:5 actions[7] | missing required key 'for' (a condition or an expression)",
    ],
  );
});

test('keep blocks: device or filter, a valid filter, a value', () => {
  const result = validateRuleText(
    lines(
      'keep:',
      "  while: \"not any('area:groundfloor', 'on')\"",
      '  state:',
      '    - filter: ourhome/+/+/light',
      '      value: "OFF"',
    ),
    'empty-house.yaml',
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.rule?.keep, {
    while: [{ condition: 'expression', expression: "not any('area:groundfloor', 'on')" }],
    state: [{ filter: 'ourhome/+/+/light', value: 'OFF' }],
  });
  assert.deepEqual(
    errorsOf(
      lines(
        'keep:',
        '  state:',
        '    - filter: ourhome/#/light',
        '      value: "OFF"',
        '    - device: a',
        '      filter: b',
        '      value: 1',
        '    - property: state',
      ),
    ),
    [
      `3:23 keep.state[0].filter | invalid topic filter "ourhome/#/light": '#' must be the last level`,
      "5:7 keep.state[1] | use either 'device' or 'filter', not both",
      "8:7 keep.state[2] | needs 'device' (one device) or 'filter' (a topic filter or area:FLOOR/ROOM)",
      "8:7 keep.state[2] | missing required key 'value'",
    ],
  );
});

test('every error of a file comes at once, in file order', () => {
  const errors = errorsOf(
    lines(
      'mode: sometimes',
      'triggers:',
      '  - trigger: numeric',
      '    topic: a/#/b',
      '    above: x',
      'actions:',
      '  - action: publish',
      '    topic: t',
      '    payload: "{{ 1 + }}"',
      '    retain: maybe',
    ),
  );
  assert.deepEqual(
    errors.map((e) => e.split(' ')[0]),
    ['1:7', '4:14', '5:12', '9:22', '10:13'],
  );
});
