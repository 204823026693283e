import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, nextMessage, publish, subscribe, waitFor } from '../helpers/hub.js';
import { account, examples, observer, startRulesHub, traces } from './rules-helpers.js';

test('lights-on-count: every light change publishes the number of lights on, retained, to ourhome/stats/lights_on', async (t) => {
  const h = await startRulesHub({ files: { 'lights-on-count.yaml': examples('lights-on-count.yaml') } });
  t.after(() => h.stop());
  const lights = await connect(h.mqttUrl, await account(h, 'lights'));
  t.after(() => end(lights));
  const phone = await connect(h.mqttUrl, await observer(h, 'phone'));
  t.after(() => end(phone));
  await subscribe(phone, 'ourhome/stats/lights_on');

  const counts: string[] = [];
  phone.on('message', (_topic, payload) => counts.push(payload.toString()));
  await publish(lights, 'ourhome/groundfloor/livingroom/light', 'ON');
  await waitFor(() => counts.at(-1) === '1', 5000, 'count 1');
  await publish(lights, 'ourhome/firstfloor/kitchen/light', 'true');
  await waitFor(() => counts.at(-1) === '2', 5000, 'count 2');
  await publish(lights, 'ourhome/groundfloor/hall/light', 'off');
  await waitFor(() => counts.length >= 3 && counts.at(-1) === '2', 5000, 'count still 2');
  await publish(lights, 'ourhome/groundfloor/livingroom/light', 'OFF');
  await waitFor(() => counts.at(-1) === '1', 5000, 'count 1 again');

  // Retained: a client connecting later gets the current count at once.
  const late = await connect(h.mqttUrl, await observer(h, 'late'));
  t.after(() => end(late));
  const first = nextMessage(late, (topic) => topic === 'ourhome/stats/lights_on');
  await subscribe(late, 'ourhome/stats/lights_on');
  const got = await first;
  assert.equal(got.payload, '1');

  const last = traces(h, 'lights-on-count')[0]!;
  assert.equal(last.result, 'done');
  assert.match(last.steps.at(-1)!.message, /^published "1" to ourhome\/stats\/lights_on \(retained\)$/);
  assert.match(last.cause!, /^device lights/);
});

test('kitchen-hot-fan: fan on after 5 minutes above 28 (not if it drops before: the trace says for was interrupted), off below 26', async (t) => {
  const h = await startRulesHub({ files: { 'kitchen-hot-fan.yaml': examples('kitchen-hot-fan.yaml') } });
  t.after(() => h.stop());
  const sensor = await connect(h.mqttUrl, await account(h, 'kitchen-sensor'));
  t.after(() => end(sensor));
  const fan = await connect(h.mqttUrl, await observer(h, 'kitchen-fan'));
  t.after(() => end(fan));
  await subscribe(fan, 'ourhome/firstfloor/kitchen/fan/set');
  const commands: string[] = [];
  fan.on('message', (_topic, payload) => commands.push(payload.toString()));
  const temperature = async (value: number) => {
    const before = h.hub.rules.recorder.list('kitchen-hot-fan').length;
    await publish(sensor, 'ourhome/firstfloor/kitchen/temperature', String(value));
    // Both triggers (hot, cool) evaluate every reading: two traces per message.
    await waitFor(() => h.hub.rules.recorder.list('kitchen-hot-fan').length >= before + 1, 5000, `traces for ${value}`);
  };
  const find = (pred: (tr: ReturnType<typeof traces>[number]) => boolean) => traces(h, 'kitchen-hot-fan').find(pred);

  await temperature(27);
  await temperature(29);
  const pending = await waitFor(() => find((tr) => tr.result === 'pending'), 5000, 'pending for');
  assert.equal(pending.trigger?.id, 'hot');
  assert.match(pending.reason!, /^ourhome\/firstfloor\/kitchen\/temperature 29 crossed above 28: waiting 5m \('for'\) before firing$/);

  await h.clock.advance(3 * 60_000 + 12_000);
  await temperature(27.5);
  const interrupted = await waitFor(() => find((tr) => tr.result === 'interrupted'), 5000, 'interrupted');
  assert.equal(interrupted.id, pending.id, 'the pending evaluation is closed as interrupted');
  assert.equal(interrupted.reason, "'for' interrupted after 3 min 12 s: ourhome/firstfloor/kitchen/temperature 27.5 is no longer above 28");
  await h.clock.advance(10 * 60_000);
  assert.deepEqual(commands, [], 'no fan command: it did not stay hot');

  await temperature(28.5);
  await h.clock.advance(5 * 60_000 - 1000);
  assert.deepEqual(commands, []);
  await h.clock.advance(1000);
  await waitFor(() => commands.length === 1, 5000, 'fan ON');
  assert.deepEqual(commands, ['ON']);
  const fired = find((tr) => tr.result === 'done' && tr.trigger?.id === 'hot')!;
  assert.deepEqual(fired.steps.map((s) => s.kind), ['for', 'choose', 'publish']);
  assert.equal(fired.steps[0]!.message, 'held for 5m');

  // Still hot, more readings: no second fire (crossing only).
  await temperature(30);
  assert.match(find((tr) => tr.result === 'not_fired' && tr.trigger?.id === 'hot')!.reason!, /is above 28 but already was; it fires on crossing only/);

  await temperature(25.5);
  await waitFor(() => commands.length === 2, 5000, 'fan OFF');
  assert.deepEqual(commands, ['ON', 'OFF']);
  const cool = find((tr) => tr.result === 'done' && tr.trigger?.id === 'cool')!;
  assert.match(cool.steps[0]!.message, /options\[1\] chosen: .*started by trigger 'cool'/);
});

test('morning-lights: on weekdays at 06:45 Amsterdam time, not at the weekend; a missed run is caught up once at start', async (t) => {
  const { tempDir } = await import('../helpers/hub.js');
  const dataDir = tempDir('rumah-morning-');
  t.after(async () => (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true }));
  const { ManualClock } = await import('../../rules/engine/clock.js');
  // Monday 3 March 2025, 10:00 in Amsterdam (UTC+1).
  const clock = new ManualClock(Date.UTC(2025, 2, 3, 9, 0));
  let h = await startRulesHub({ dataDir, clock, files: { 'morning-lights.yaml': examples('morning-lights.yaml') } });
  const first = h;
  t.after(() => first.stop());
  const house = await connect(h.mqttUrl, await observer(h, 'house'));
  t.after(() => end(house));
  await subscribe(house, 'ourhome/+/+/light/set');
  const seen: string[] = [];
  house.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));

  await clock.advanceTo(Date.UTC(2025, 2, 4, 5, 44, 59));
  assert.deepEqual(seen, []);
  await clock.advanceTo(Date.UTC(2025, 2, 4, 5, 45, 0));
  await waitFor(() => seen.length === 2, 5000, 'two lights');
  assert.deepEqual(seen.sort(), ['ourhome/firstfloor/kitchen/light/set ON', 'ourhome/groundfloor/livingroom/light/set ON']);
  const run = traces(h, 'morning-lights')[0]!;
  assert.equal(run.result, 'done');
  assert.equal(run.trigger?.description, 'schedule "45 6 * * 1-5" at 2025-03-04 06:45:00 (Europe/Amsterdam)');
  assert.match(run.steps.at(-1)!.message, /^info: Morning lights on; \d+ lights were already on$/);

  // Wednesday to Friday fire, Saturday and Sunday do not: four runs until Monday 06:44.
  seen.length = 0;
  await clock.advanceTo(Date.UTC(2025, 2, 10, 5, 44));
  await waitFor(() => seen.length === 6, 5000, 'three more mornings');
  assert.equal(traces(h, 'morning-lights').filter((tr) => tr.fired).length, 4);
  await end(house);
  await h.stop();

  // Down from Monday 05:44 to Monday 09:00 (UTC): the 06:45 run was missed; catch_up runs it once at start.
  await clock.advanceTo(Date.UTC(2025, 2, 10, 8, 0));
  h = await startRulesHub({ dataDir, clock, files: {} });
  const second = h;
  t.after(() => second.stop());
  await waitFor(() => traces(h, 'morning-lights').some((tr) => tr.trigger?.description?.startsWith('catch-up')), 5000, 'catch-up run');
  const catchUp = traces(h, 'morning-lights').find((tr) => tr.trigger?.description?.startsWith('catch-up'))!;
  assert.equal(catchUp.trigger!.description, 'catch-up: the run due at 2025-03-10 06:45:00 (Europe/Amsterdam) was missed while the hub was down');
  await waitFor(() => catchUp.result === 'done', 5000, 'catch-up done');
});
