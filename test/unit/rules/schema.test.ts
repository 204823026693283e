import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRuleText } from '../../../rules/schema/index.js';

/** Errors as `line:column path | message`, the way a user reads them. */
function errorsOf(text: string, file = 'test-rule.yaml'): string[] {
  const result = validateRuleText(text, file);
  for (const e of result.errors) assert.equal(e.file, file);
  if (result.errors.length > 0) assert.equal(result.rule, undefined, 'no rule when there are errors');
  return result.errors.map((e) => `${e.line}:${e.column} ${e.path} | ${e.message}`);
}

const lines = (...rows: string[]) => rows.join('\n') + '\n';

/** A valid rule to break one thing at a time. */
const START = lines('triggers:', '  - trigger: start');
const LOG = lines('actions:', '  - action: log', '    message: hi');

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
      "2:14 triggers[0].trigger | unknown trigger type \"mqtts\" (did you mean 'mqtt'?); valid types: mqtt, state, numeric, cron, sun, event, availability, start",
      "4:14 triggers[1].trigger | unknown trigger type \"numeric_state\": rumah calls it 'numeric'; valid types: mqtt, state, numeric, cron, sun, event, availability, start",
      '5:14 triggers[2].trigger | unknown trigger type "timer"; valid types: mqtt, state, numeric, cron, sun, event, availability, start',
      "6:5 triggers[3].platform | use 'trigger: ...' ('platform' is the old Home Assistant spelling)",
      "7:5 triggers[4] | missing required key 'trigger' (one of: mqtt, state, numeric, cron, sun, event, availability, start)",
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
