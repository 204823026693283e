import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, publish, subscribe, tempDir, waitFor } from '../helpers/hub.js';
import { ManualClock } from '../../rules/engine/clock.js';
import { account, examples, observer, startRulesHub, traces, type RulesHub } from './rules-helpers.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

const HOUR = 3_600_000;

function cleanup(t: { after(fn: () => unknown): void }, dataDir: string): void {
  removeWhenDone(dataDir);
}

async function listen(t: { after(fn: () => unknown): void }, h: RulesHub, filter: string): Promise<string[]> {
  const client = await connect(h.mqttUrl, await observer(h, `observer-${Math.random().toString(36).slice(2, 8)}`));
  t.after(() => end(client));
  await subscribe(client, filter);
  const got: string[] = [];
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  return got;
}

test('a pending `for: 5m` with 2 minutes left fires 2 minutes after a restart when the state still holds', async (t) => {
  const dataDir = tempDir('rumah-for-');
  cleanup(t, dataDir);
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0));
  const first = await startRulesHub({ dataDir, clock, files: { 'kitchen-hot-fan.yaml': examples('kitchen-hot-fan.yaml') } });
  t.after(() => first.stop());
  const sensor = await connect(first.mqttUrl, await account(first, 'kitchen-sensor'));
  await publish(sensor, 'ourhome/firstfloor/kitchen/temperature', '27');
  await publish(sensor, 'ourhome/firstfloor/kitchen/temperature', '29');
  await waitFor(() => traces(first, 'kitchen-hot-fan').some((tr) => tr.result === 'pending'), 5000, 'pending for');
  await clock.advance(3 * 60_000);
  await end(sensor);
  await first.stop();

  // The hub is down for an hour; the timer is paused with 2 minutes left.
  await clock.advance(HOUR);
  const second = await startRulesHub({ dataDir, clock });
  t.after(() => second.stop());
  const fan = await listen(t, second, 'ourhome/firstfloor/kitchen/fan/set');
  const resumed = traces(second, 'kitchen-hot-fan').find((tr) => tr.result === 'pending')!;
  assert.equal(resumed.reason, "ourhome/firstfloor/kitchen/temperature 29 crossed above 28: resumed after a restart with 2 min of the 'for' left (cause: device kitchen-sensor)");
  await clock.advance(2 * 60_000 - 1000);
  assert.deepEqual(fan, []);
  await clock.advance(1000);
  await waitFor(() => fan.length === 1, 5000, 'fan ON after the restart');
  assert.deepEqual(fan, ['ON']);
});

test('a `for` whose state no longer holds after the restart is closed as interrupted, and does not fire', async (t) => {
  const dataDir = tempDir('rumah-for-');
  cleanup(t, dataDir);
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0));
  const first = await startRulesHub({ dataDir, clock, files: { 'kitchen-hot-fan.yaml': examples('kitchen-hot-fan.yaml') } });
  t.after(() => first.stop());
  const sensor = await connect(first.mqttUrl, await account(first, 'kitchen-sensor'));
  await publish(sensor, 'ourhome/firstfloor/kitchen/temperature', '29');
  await waitFor(() => traces(first, 'kitchen-hot-fan').some((tr) => tr.result === 'pending'), 5000, 'pending for');
  await clock.advance(60_000);
  await end(sensor);
  await first.stop();
  // While the hub was down the kitchen cooled: the stored state says 27 (as a device reporting during the
  // restart would leave it).
  const { Database } = await import('../../server/store/database.js');
  const { pino } = await import('pino');
  const db = await Database.open(`${dataDir}/rumah.db`, pino({ level: 'silent' }));
  await db.run("UPDATE state SET value = '27' WHERE device_id = 'ourhome-firstfloor-kitchen-temperature'");
  await db.close();

  const second = await startRulesHub({ dataDir, clock });
  t.after(() => second.stop());
  const fan = await listen(t, second, 'ourhome/firstfloor/kitchen/fan/set');
  const closed = traces(second, 'kitchen-hot-fan').find((tr) => tr.result === 'interrupted')!;
  assert.equal(closed.reason, "'for' interrupted during the restart, with 4 min left: the value is now 27, not above 28");
  await clock.advance(10 * 60_000);
  assert.deepEqual(fan, []);
  assert.equal(second.hub.rules.timers.count('kitchen-hot-fan'), 0);
});

test('a delay resumes after a restart with the time it had left, with the variables of its run', async (t) => {
  const dataDir = tempDir('rumah-delay-');
  cleanup(t, dataDir);
  const rule = [
    'id: porch',
    'triggers:',
    '  - trigger: mqtt',
    '    topic: ourhome/groundfloor/{room}/motion',
    '    payload: "ON"',
    'actions:',
    '  - action: publish',
    '    topic: test/porch',
    '    payload: "on in {{ room }}"',
    '  - action: delay',
    '    duration: 10m',
    '  - action: publish',
    '    topic: test/porch',
    '    payload: "off in {{ room }}"',
    '',
  ].join('\n');
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 20, 0));
  const first = await startRulesHub({ dataDir, clock, files: { 'porch.yaml': rule } });
  t.after(() => first.stop());
  const seen = await listen(t, first, 'test/porch');
  const motion = await connect(first.mqttUrl, await account(first, 'motion'));
  await publish(motion, 'ourhome/groundfloor/porch/motion', 'ON');
  await waitFor(() => seen.length === 1, 5000, 'on');
  const original = traces(first, 'porch')[0]!;
  assert.equal(original.result, 'waiting');
  await clock.advance(4 * 60_000);
  await end(motion);
  await first.stop();
  const stopped = traces(first, 'porch')[0]!;
  assert.equal(stopped.result, 'stopped');
  assert.equal(stopped.reason, 'the hub stopped; the run resumes at the next start');

  await clock.advance(2 * HOUR);
  const second = await startRulesHub({ dataDir, clock });
  t.after(() => second.stop());
  const after = await listen(t, second, 'test/porch');
  await clock.advance(6 * 60_000 - 1000);
  assert.deepEqual(after, []);
  await clock.advance(1000);
  await waitFor(() => after.length === 1, 5000, 'off');
  assert.deepEqual(after, ['off in porch']);
  const resumed = traces(second, 'porch').find((tr) => tr.trigger?.kind === 'resume')!;
  assert.equal(resumed.resumedFrom, original.id);
  assert.equal(resumed.trigger!.description, 'resumed after a restart at actions[1] (delay) with 6 min left');
  assert.equal(resumed.result, 'done');
  assert.deepEqual(resumed.steps.map((s) => s.message), ['waiting 6 min', 'waited 10m', 'published "off in porch" to test/porch']);
  // The interrupted run's trace came back from rumah.db as the first hub left it, steps and all.
  assert.deepEqual(traces(second, 'porch').find((tr) => tr.id === stopped.id), JSON.parse(JSON.stringify(stopped)));
});

test('a wait resumes after a restart: it goes on when its condition comes true, with the time it had left', async (t) => {
  const dataDir = tempDir('rumah-wait-');
  cleanup(t, dataDir);
  const rule = [
    'id: door-wait',
    'triggers: [{trigger: mqtt, topic: test/leave}]',
    'actions:',
    '  - action: wait',
    '    for: {condition: state, device: ourhome/groundfloor/hall/door, state: closed}',
    '    timeout: 30m',
    '  - action: publish',
    '    topic: test/door',
    '    payload: "closed after {{ payload }}"',
    '',
  ].join('\n');
  const clock = new ManualClock(Date.UTC(2025, 5, 1, 8, 0));
  const first = await startRulesHub({ dataDir, clock, files: { 'door-wait.yaml': rule } });
  t.after(() => first.stop());
  const doorAccount = await account(first, 'door');
  const door = await connect(first.mqttUrl, doorAccount);
  await publish(door, 'ourhome/groundfloor/hall/door', 'open');
  await publish(door, 'test/leave', 'leaving');
  await waitFor(() => traces(first, 'door-wait')[0]?.result === 'waiting', 5000, 'waiting');
  await clock.advance(5 * 60_000);
  await end(door);
  await first.stop();

  await clock.advance(HOUR);
  const second = await startRulesHub({ dataDir, clock });
  t.after(() => second.stop());
  const seen = await listen(t, second, 'test/door');
  const resumed = await waitFor(() => traces(second, 'door-wait').find((tr) => tr.trigger?.kind === 'resume'), 5000, 'resumed');
  assert.equal(resumed.trigger!.description, 'resumed after a restart at actions[0] (wait) with 25 min left');
  assert.equal(resumed.result, 'waiting');
  await clock.advance(10 * 60_000);
  const again = await connect(second.mqttUrl, doorAccount);
  t.after(() => end(again));
  await publish(again, 'ourhome/groundfloor/hall/door', 'closed');
  await waitFor(() => seen.length === 1, 5000, 'closed');
  assert.deepEqual(seen, ['closed after leaving']);
  assert.equal(resumed.steps[0]!.message, 'condition held after 10 min');
  assert.equal(second.hub.rules.timers.count('door-wait'), 0);
});
