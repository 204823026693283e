import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../../../server/core/events.js';
import { report, sandbox, sent, tracesOf, yaml } from './engine-helpers.js';

const go = ['triggers:', '  - trigger: mqtt', '    topic: test/go'];

test('set goes through the command path in the device\'s own words; a sensor cannot be set (the run fails, recorded)', async (t) => {
  const sb = await sandbox(t, {
    'on.yaml': yaml('id: on', ...go, 'actions:', '  - action: set', '    device: ourhome/groundfloor/hall/light', '    value: "{{ payload }}"'),
    'bad.yaml': yaml('id: bad', 'triggers:', '  - trigger: mqtt', '    topic: test/bad', 'actions:', '  - action: set', '    device: ourhome-groundfloor-hall-temperature', '    value: 20'),
  });
  await report(sb, 'ourhome/groundfloor/hall/light', 'OFF');
  await report(sb, 'ourhome/groundfloor/hall/temperature', '19');
  await report(sb, 'test/go', 'on');
  assert.deepEqual(sent(sb, 'ourhome/'), ['ourhome/groundfloor/hall/light/set ON']);
  assert.equal(tracesOf(sb, 'on')[0]!.steps.at(-1)!.message, 'set ourhome-groundfloor-hall-light.light to "on" ("ON" to ourhome/groundfloor/hall/light/set)');
  await report(sb, 'test/bad', 'x');
  const failed = tracesOf(sb, 'bad')[0]!;
  assert.equal(failed.result, 'error');
  assert.deepEqual(failed.steps.at(-1)!.error, { code: 'RUMAH_ERR_NOT_SETTABLE', message: 'ourhome-groundfloor-hall-temperature.temperature only reports; it cannot be set' });
});

test('if and choose say which branch ran and what the conditions saw', async (t) => {
  const sb = await sandbox(t, {
    'c.yaml': yaml(
      'id: c', ...go, 'actions:',
      '  - action: if',
      '    conditions:',
      '      - condition: numeric',
      '        device: ourhome/firstfloor/kitchen/temperature',
      '        above: 25',
      '    then: [{action: publish, topic: out/if, payload: warm}]',
      '    else: [{action: publish, topic: out/if, payload: cold}]',
      '  - action: choose',
      '    options:',
      '      - conditions: "payload == \'a\'"',
      '        actions: [{action: publish, topic: out/choose, payload: A}]',
      '    default: [{action: publish, topic: out/choose, payload: other}]',
    ),
  });
  await report(sb, 'ourhome/firstfloor/kitchen/temperature', '21.5');
  await report(sb, 'test/go', 'b');
  assert.deepEqual(sent(sb, 'out/'), ['out/if cold', 'out/choose other']);
  const steps = tracesOf(sb, 'c')[0]!.steps.map((s) => s.message);
  assert.equal(steps[0], 'actions[0].conditions[0]: ourhome-firstfloor-kitchen-temperature.temperature is 21.5, not above 25: else');
  assert.equal(steps[2], 'no option held, running default (actions[1].options[0]: actions[1].options[0].conditions[0]: payload == \'a\' was false (payload = "b"))');
});

test('wait: goes on when the condition comes true; a timeout stops the run unless continue_on_timeout', async (t) => {
  const sb = await sandbox(t, {
    'w.yaml': yaml(
      'id: w', ...go, 'actions:',
      '  - action: wait',
      '    for: {condition: state, device: ourhome/groundfloor/hall/door, state: closed}',
      '    timeout: 5m',
      '  - action: publish',
      '    topic: out/w',
      '    payload: closed',
    ),
  });
  await report(sb, 'ourhome/groundfloor/hall/door', 'open');
  await report(sb, 'test/go', '1');
  await sb.clock.advance(60_000);
  await report(sb, 'ourhome/groundfloor/hall/door', 'closed');
  assert.deepEqual(sent(sb, 'out/'), ['out/w closed']);
  assert.equal(tracesOf(sb, 'w')[0]!.steps[0]!.message, 'condition held after 1 min');

  await report(sb, 'ourhome/groundfloor/hall/door', 'open');
  await report(sb, 'test/go', '2');
  await sb.clock.advance(5 * 60_000);
  const timedOut = tracesOf(sb, 'w')[0]!;
  assert.equal(timedOut.result, 'done');
  assert.equal(timedOut.reason, 'actions[0]: the wait timed out after 5m; the run stopped there (continue_on_timeout is false)');
  assert.deepEqual(sent(sb, 'out/'), ['out/w closed']);
});

test('notify: a notification on the bus and a webhook POST; a failing webhook is noted and the run goes on', async (t) => {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.statusCode = req.url === '/fail' ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sb = await sandbox(t, {
    'n.yaml': yaml('id: n', ...go, 'actions:', '  - action: notify', '    title: Door', `    message: "open: {{ payload }}"`, `    webhook: ${url}/hook`, '  - action: notify', '    message: again', `    webhook: ${url}/fail`, '  - action: log', '    message: "done {{ payload }}"'),
  });
  const notes: Notification[] = [];
  sb.bus.on('notification', 'test', (n) => notes.push(n));
  await report(sb, 'test/go', 'front');
  await new Promise((r) => setTimeout(r, 200));
  await sb.settle();
  assert.deepEqual(notes.map((n) => [n.ruleId, n.title, n.message]), [['n', 'Door', 'open: front'], ['n', undefined, 'again']]);
  assert.deepEqual((bodies[0] as { message: string }).message, 'open: front');
  const steps = tracesOf(sb, 'n')[0]!.steps.map((s) => s.message);
  assert.deepEqual(steps, ['notified: "Door: open: front"; webhook answered 204', 'notified: "again"; webhook failed: HTTP 500', 'info: done front']);
});

test('run starts another rule (without its conditions); a rule that runs itself is stopped by the loop guard', async (t) => {
  const sb = await sandbox(t, {
    'caller.yaml': yaml('id: caller', ...go, 'actions:', '  - action: run', '    rule: callee'),
    'callee.yaml': yaml('id: callee', 'triggers: [{trigger: mqtt, topic: never/here}]', 'conditions: "false"', 'actions: [{action: publish, topic: out/callee, payload: ran}]'),
    'self.yaml': yaml('id: self', 'mode: parallel', 'max: 50', 'triggers: [{trigger: mqtt, topic: test/self}]', 'actions: [{action: run, rule: self}]'),
  });
  await report(sb, 'test/go', '1');
  assert.deepEqual(sent(sb, 'out/'), ['out/callee ran']);
  assert.match(tracesOf(sb, 'caller')[0]!.steps[0]!.message, /^started rule callee \(trace .+\)$/);
  assert.equal(tracesOf(sb, 'callee')[0]!.cause, 'rule caller ← device fixture');

  await report(sb, 'test/self', 'x');
  const runs = tracesOf(sb, 'self');
  const stopped = runs.find((tr) => tr.result === 'stopped')!;
  assert.equal(runs.filter((tr) => tr.result === 'done').length, 9);
  assert.equal(stopped.reason, 'loop guard: a chain of 11 causes is longer than 10 (rule self ← rule self ← rule self ← rule self ← rule self ← rule self ← rule self ← rule self ← rule self ← rule self ← device fixture); this run was stopped');
});

test('an expression that throws or exceeds its step limit fails that run (in the trace), and the rule goes on', async (t) => {
  // A payload that makes an expression do too much: 10,001 numbers to look through.
  const big = JSON.stringify(Array.from({ length: 10_001 }, () => 0));
  const sb = await sandbox(t, {
    'div.yaml': yaml('id: div', ...go, 'actions: [{action: publish, topic: out/div, payload: "{{ 10 / number(payload) }}"}]'),
    'steps.yaml': yaml('id: steps', 'triggers: [{trigger: mqtt, topic: test/steps}]', 'actions: [{action: publish, topic: out/steps, payload: "{{ max(value_json) }}"}]'),
    'match.yaml': yaml('id: match', 'triggers:', '  - trigger: mqtt', '    topic: test/match', '    match: "99 in value_json"', 'actions: [{action: log, message: never}]'),
  });
  await report(sb, 'test/go', '0');
  await report(sb, 'test/go', '4');
  await report(sb, 'test/steps', big);
  await report(sb, 'test/match', big);
  assert.deepEqual(sent(sb, 'out/'), ['out/div 2.5']);
  const [ok, failed] = tracesOf(sb, 'div');
  assert.equal(ok!.result, 'done');
  assert.equal(failed!.result, 'error');
  assert.equal(failed!.steps[0]!.error!.code, 'RUMAH_ERR_EXPR_TYPE');
  assert.equal(failed!.reason, 'actions[0]: division by zero');
  const steps = tracesOf(sb, 'steps')[0]!;
  assert.equal(steps.result, 'error');
  assert.deepEqual(steps.steps[0]!.error, { code: 'RUMAH_ERR_EXPR_STEP_LIMIT', message: 'expression exceeded its limit of 10000 steps' });
  const match = tracesOf(sb, 'match')[0]!;
  assert.equal(match.result, 'error');
  assert.equal(match.reason, 'match failed: expression exceeded its limit of 10000 steps');
});
