import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect, end, publish, waitFor } from '../helpers/hub.js';
import { account, login, startRulesHub } from './rules-helpers.js';

const LOG_ACTION = 'actions:\n  - action: log\n    message: hi\n';
const MQTT = 'triggers:\n  - trigger: mqtt\n    topic: a/b\n';

// Each way a rule file can be wrong, through the API, with the exact message and where it is.
const BAD: Array<[string, string, string]> = [
  ['yaml syntax', 'triggers: [{trigger: start}\nactions: x\n', '2:1 : YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['empty file', '', "1:1 : the file is empty: a rule needs at least triggers and actions"],
  ['unknown kind', 'triggers:\n  - trigger: mqqt\n    topic: a/b\n' + LOG_ACTION, "2:14 triggers[0].trigger: unknown trigger type \"mqqt\" (did you mean 'mqtt'?); valid types: mqtt, state, numeric, cron, sun, event, availability, start, webhook"],
  ['HA spelling', 'triggers:\n  - platform: mqtt\n    topic: a/b\n' + LOG_ACTION, "2:5 triggers[0].platform: use 'trigger: ...' ('platform' is the old Home Assistant spelling)"],
  ['unknown key', MQTT.replace('topic', 'topic: a/b\n    topik') + LOG_ACTION, "4:5 triggers[0].topik: unknown key 'topik' (did you mean 'topic'?)"],
  ['bad duration', 'triggers:\n  - trigger: state\n    device: x\n    for: 5 minutes\n' + LOG_ACTION, '4:10 triggers[0].for: invalid duration "5 minutes": use a number of seconds, 30s, 5m, 1h30m or 00:05:00'],
  ['bad expression', MQTT + 'conditions:\n  - "count(\'ourhome/+/+/light\', \'on\') >"\n' + LOG_ACTION, '5:40 conditions[0]: unexpected end of expression'],
  ['unquoted template', MQTT + 'actions:\n  - action: publish\n    topic: x/y\n    payload: {{ payload }}\n', '7:14 actions[0].payload: a template that starts with {{ must be quoted: "{{ ... }}"'],
  ['topic filter', 'triggers:\n  - trigger: mqtt\n    topic: ourhome/#/light\n' + LOG_ACTION, '3:20 triggers[0].topic: invalid topic filter "ourhome/#/light": \'#\' must be the last level'],
  ['range', 'triggers:\n  - trigger: numeric\n    topic: a/b\n    above: 30\n    below: 20\n' + LOG_ACTION, '4:12 triggers[0].above: above (30) must be less than below (20): the value must be above AND below'],
  ['trigger id', MQTT + 'conditions:\n  - condition: trigger\n    id: hot\n' + LOG_ACTION, "6:9 conditions[0].id: unknown trigger id 'hot': no trigger of this rule has an id"],
  ['cron', 'triggers:\n  - trigger: cron\n    expression: "61 * * * *"\n' + LOG_ACTION, '3:17 triggers[0].expression: invalid cron expression "61 * * * *": the minute field \'61\' is out of range or malformed (format: minute hour day-of-month month day-of-week)'],
  ['time zone', 'triggers:\n  - trigger: cron\n    expression: "0 7 * * *"\n    timezone: Mars/Olympus\n' + LOG_ACTION, '4:15 triggers[0].timezone: unknown time zone "Mars/Olympus" (use a name like Europe/Amsterdam or UTC)'],
];

test('every way a rule file can be wrong is refused with 422 and the exact message, line and column; nothing is written', async (t) => {
  const h = await startRulesHub();
  t.after(() => h.stop());
  const api = await login(h.httpUrl);
  for (const [what, text, expected] of BAD) {
    const res = await api.post('/api/rules', { id: 'broken', text });
    assert.equal(res.status, 422, what);
    assert.equal(res.body.error.code, 'RUMAH_ERR_INVALID_VALUE', what);
    const e = res.body.error.details.errors[0];
    assert.equal(`${e.line}:${e.column} ${e.path}: ${e.message}`, expected, what);
    assert.equal(e.file, 'broken.yaml', what);
  }
  assert.deepEqual(fs.readdirSync(h.rulesDir), []);
  // Whole-set problems: an id another file has, an id that would change on update, a new rule without an id.
  assert.equal((await api.post('/api/rules', { text: 'id: one\n' + MQTT + LOG_ACTION })).status, 201);
  const dup = await api.post('/api/rules', { id: 'one', text: MQTT + LOG_ACTION });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.message, 'a rule "one" exists already (one.yaml)');
  fs.writeFileSync(path.join(h.rulesDir, 'other.yaml'), 'id: one\n' + MQTT + LOG_ACTION);
  await waitFor(async () => (await api.get('/api/rules')).body.rules.find((r: any) => r.file === 'other.yaml')?.errors.length, 5000, 'duplicate reported');
  const other = (await api.get('/api/rules')).body.rules.find((r: any) => r.file === 'other.yaml');
  assert.deepEqual(other.errors, [{ file: 'other.yaml', line: 1, column: 5, path: 'id', message: 'the rule id "one" is already used by one.yaml' }]);
  assert.equal(other.state, 'error');
  const renamed = await api.put('/api/rules/one', { text: 'id: two\n' + MQTT + LOG_ACTION });
  assert.equal(renamed.status, 422);
  assert.equal(renamed.body.error.details.errors[0].message, 'the id cannot change from "one" to "two": create a new rule and delete this one');
  const noId = await api.post('/api/rules', { text: MQTT + LOG_ACTION });
  assert.equal(noId.status, 422);
  assert.match(noId.body.error.details.errors[0].message, /^a new rule needs an 'id'/);
});

test('the rules API: create, read, update keeping comments, enable/disable in the file, run now, traces, dry run, delete; members read only', async (t) => {
  const h = await startRulesHub();
  t.after(() => h.stop());
  const api = await login(h.httpUrl);
  const text = [
    '# Tell me when the door opens.',
    'id: door',
    'triggers:',
    '  - trigger: mqtt',
    '    topic: ourhome/groundfloor/hall/door   # the contact',
    '    payload: open',
    'actions:',
    '  - action: publish',
    '    topic: test/door',
    '    payload: opened   # what the phone shows',
    '',
  ].join('\n');
  const created = await api.post('/api/rules', { text });
  assert.equal(created.status, 201);
  assert.equal(created.body.status.state, 'running');
  assert.equal(fs.readFileSync(path.join(h.rulesDir, 'door.yaml'), 'utf8'), text);

  const got = await api.get('/api/rules/door');
  assert.equal(got.body.text, text);
  assert.deepEqual(got.body.rule.triggers, [{ trigger: 'mqtt', topic: 'ourhome/groundfloor/hall/door', payload: 'open' }]);

  // An edit from a form: the rule as JSON; the file keeps its comments.
  const rule = { ...got.body.rule, actions: [{ action: 'publish', topic: 'test/door', payload: 'the door opened' }] };
  const updated = await api.put('/api/rules/door', { rule });
  assert.equal(updated.status, 200);
  const file = fs.readFileSync(path.join(h.rulesDir, 'door.yaml'), 'utf8');
  // Only the changed value is rewritten; comments stay (the YAML writer puts one space before them).
  assert.equal(file, text.replace('payload: opened   # what', 'payload: the door opened # what').replace('/door   # the', '/door # the'));

  const disabled = await api.post('/api/rules/door/enabled', { enabled: false });
  assert.equal(disabled.body.status.state, 'disabled');
  assert.match(fs.readFileSync(path.join(h.rulesDir, 'door.yaml'), 'utf8'), /^# Tell me when the door opens\.\nid: door\nenabled: false\n/);
  assert.equal((await api.post('/api/rules/door/run', {})).status, 409);
  const enabled = await api.post('/api/rules/door/enabled', { enabled: true });
  assert.equal(enabled.body.status.state, 'running');

  const sensor = await connect(h.mqttUrl, await account(h, 'door-sensor'));
  t.after(() => end(sensor));
  await publish(sensor, 'ourhome/groundfloor/hall/door', 'closed');
  await publish(sensor, 'ourhome/groundfloor/hall/door', 'open');
  const traces = await waitFor(async () => {
    const res = await api.get('/api/rules/door/traces');
    return res.body.traces.length >= 2 ? res.body.traces : undefined;
  }, 5000, 'two traces');
  assert.equal(traces[0].result, 'done');
  assert.equal(traces[1].result, 'not_fired');
  assert.equal(traces[1].reason, 'payload did not match: got "closed", wanted "open"');
  const one = await api.get(`/api/rules/door/traces/${traces[0].id}`);
  assert.equal(one.body.trace.steps[0].message, 'published "the door opened" to test/door');

  const ran = await api.post('/api/rules/door/run', {});
  assert.equal(ran.status, 202);
  assert.equal(ran.body.trace.trigger.kind, 'manual');
  assert.equal(ran.body.trace.cause, 'user admin');

  const dry = await api.post('/api/rules/door/dry-run', { message: { topic: 'ourhome/groundfloor/hall/door', payload: 'open' } });
  assert.equal(dry.status, 200);
  assert.deepEqual(dry.body.trace.steps.map((s: any) => s.message), [
    // The door already reported "open": the message is applied first and changes nothing.
    "the message changes no device's state (no known device reports on ourhome/groundfloor/hall/door, or it repeats the current values)",
    'fired: message on ourhome/groundfloor/hall/door: "open"', 'would publish "the door opened" to test/door']);
  const dryText = await api.post('/api/rules/dry-run', { text: 'id: x\n' + MQTT + LOG_ACTION, message: { topic: 'a/b', payload: '1' } });
  assert.equal(dryText.body.trace.result, 'done');

  const list = await api.get('/api/rules');
  const door = list.body.rules[0];
  assert.equal(door.id, 'door');
  assert.equal(door.enabled, true);
  assert.equal(door.lastRun.result, 'done');
  assert.deepEqual(door.errors, []);

  // A member reads, but does not change.
  await h.hub.store.users.create('member', 'member-password', 'member');
  const member = await login(h.httpUrl, 'member', 'member-password');
  assert.equal((await member.get('/api/rules')).status, 200);
  assert.equal((await member.get('/api/rules/door/traces')).status, 200);
  assert.equal((await member.post('/api/rules', { text })).status, 403);
  assert.equal((await member.post('/api/rules/door/enabled', { enabled: false })).status, 403);
  assert.equal((await member.delete('/api/rules/door')).status, 403);

  assert.equal((await api.delete('/api/rules/door')).status, 200);
  assert.equal((await api.get('/api/rules/door')).status, 404);
  assert.deepEqual(fs.readdirSync(h.rulesDir), []);
});
