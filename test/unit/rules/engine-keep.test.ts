import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../rules/engine/clock.js';
import { report, sandbox, sent, tracesOf, yaml } from './engine-helpers.js';

const away = yaml(
  'id: away-lights-off',
  'keep:',
  '  while:',
  '    - condition: state',
  '      device: ourhome/groundfloor/hall/presence',
  '      state: "off"',
  '  state:',
  '    - filter: ourhome/+/+/light',
  '      value: "off"',
);

test('keep: while nobody is home every light is kept off — at start, and whenever one is switched on', async (t) => {
  const sb = await sandbox(t, {});
  await report(sb, 'ourhome/groundfloor/hall/presence', 'off');
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await report(sb, 'ourhome/firstfloor/kitchen/light', 'off');
  // Loaded while a light is on: the hub "starts in the middle of it" and puts it right.
  await sb.load('away.yaml', away);
  await sb.settle();
  assert.deepEqual(sent(sb), ['ourhome/groundfloor/hall/light/set OFF']);
  const first = tracesOf(sb, 'away-lights-off')[0]!;
  assert.equal(first.steps.at(-1)!.message, 'kept ourhome-groundfloor-hall-light.light at "off" (it was true; sent "OFF" to ourhome/groundfloor/hall/light/set)');

  await report(sb, 'ourhome/groundfloor/hall/light', 'OFF');
  await report(sb, 'ourhome/firstfloor/kitchen/light', 'on');
  assert.deepEqual(sent(sb).slice(1), ['ourhome/firstfloor/kitchen/light/set off']);

  // Someone comes home: nothing is kept any more.
  await report(sb, 'ourhome/groundfloor/hall/presence', 'on');
  await report(sb, 'ourhome/firstfloor/kitchen/light', 'on');
  assert.equal(sent(sb).length, 2);
  assert.match(tracesOf(sb, 'away-lights-off').find((tr) => tr.result === 'not_fired')!.reason!, /^keep: keep\.while\[0\]: ourhome-groundfloor-hall-presence\.presence is true, not "off"; nothing is kept$/);
});

test('keep does not hammer a device that ignores its command: the same command waits 10 s', async (t) => {
  const sb = await sandbox(t, {});
  await report(sb, 'ourhome/groundfloor/hall/presence', 'off');
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  await sb.load('away.yaml', away);
  await sb.settle();
  await report(sb, 'ourhome/groundfloor/hall/presence', 'false');
  await report(sb, 'ourhome/groundfloor/hall/light', '1');
  assert.equal(sent(sb).length, 1);
  await sb.clock.advance(10_000);
  await report(sb, 'ourhome/groundfloor/hall/light', 'ON');
  assert.equal(sent(sb).length, 2);
});

test('time condition: a window across midnight, in the hub zone, with weekdays', async (t) => {
  // Friday 7 March 2025 23:30 in Amsterdam.
  const clock = new ManualClock(Date.UTC(2025, 2, 7, 22, 30));
  const sb = await sandbox(t, {
    'night.yaml': yaml('id: night', 'triggers: [{trigger: mqtt, topic: test/go}]', 'conditions:', '  - condition: time', '    after: "22:00"', '    before: "06:00"', '    weekday: [fri, sat]', 'actions: [{action: publish, topic: out/night, payload: "yes"}]'),
  }, { clock, timezone: 'Europe/Amsterdam' });
  await report(sb, 'test/go', '1');
  await clock.advance(7 * 3_600_000);
  await report(sb, 'test/go', '2');
  assert.deepEqual(sent(sb, 'out/'), ['out/night yes']);
  assert.equal(tracesOf(sb, 'night')[0]!.reason, 'conditions[0]: it is 06:30:00 on sat (Europe/Amsterdam), not after 22:00:00 and before 06:00:00');
});

test('dry run: which trigger would fire, what the conditions see, what would be published — without publishing', async (t) => {
  const sb = await sandbox(t, {
    'fan.yaml': yaml(
      'id: fan',
      'triggers:',
      '  - trigger: numeric',
      '    id: hot',
      '    topic: ourhome/firstfloor/kitchen/temperature',
      '    above: 28',
      '    for: 5m',
      'conditions: "count(\'ourhome/+/+/light\', \'on\') < 5"',
      'actions:',
      '  - action: delay',
      '    duration: 1m',
      '  - action: set',
      '    device: ourhome/firstfloor/kitchen/fan',
      '    value: "on"',
    ),
  });
  await report(sb, 'ourhome/firstfloor/kitchen/temperature', '27');
  await report(sb, 'ourhome/firstfloor/kitchen/fan', 'OFF');
  const before = sb.published.length;
  const trace = await sb.engine.dryRun({ id: 'fan' }, { kind: 'message', topic: 'ourhome/firstfloor/kitchen/temperature', payload: '29.5' });
  assert.equal(sb.published.length, before);
  assert.equal(trace.dryRun, true);
  assert.equal(trace.result, 'done');
  assert.deepEqual(trace.steps.map((s) => s.message), [
    'applied first: ourhome-firstfloor-kitchen-temperature.temperature 27 → 29.5',
    "fired: ourhome/firstfloor/kitchen/temperature 29.5 crossed above 28 (fires only if it stays above 28 for the 'for' time)",
    "count('ourhome/+/+/light', 'on') < 5 was true ('ourhome/+/+/light': 0 states, 0 on)",
    'would wait 1m',
    'would set ourhome-firstfloor-kitchen-fan.fan to "on" (on ourhome/firstfloor/kitchen/fan/set)',
  ]);
  const miss = await sb.engine.dryRun({ id: 'fan' }, { kind: 'message', topic: 'ourhome/firstfloor/kitchen/temperature', payload: '26' });
  assert.equal(miss.result, 'not_fired');
  assert.equal(miss.steps[1]!.message, 'did not fire: threshold not crossed: ourhome/firstfloor/kitchen/temperature 26 is not above 28');
  assert.equal(tracesOf(sb, 'fan').filter((tr) => tr.dryRun).length, 0, 'dry runs are not stored');
});
