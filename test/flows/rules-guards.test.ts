import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, end, publish, subscribe, waitFor } from '../helpers/hub.js';
import type { Notification } from '../../server/core/events.js';
import { account, login, observer, startRulesHub, traces } from './rules-helpers.js';

test('a rule whose publish triggers itself is stopped by the loop guard, said in its trace and on the dashboard', async (t) => {
  const h = await startRulesHub({
    files: {
      'echo.yaml': [
        'id: echo',
        'mode: parallel',
        'triggers: [{trigger: mqtt, topic: loop/ping}]',
        'actions: [{action: publish, topic: loop/ping, payload: "{{ int(payload) + 1 }}"}]',
        '',
      ].join('\n'),
    },
  });
  t.after(() => h.stop());
  const notes: Notification[] = [];
  h.hub.bus.on('notification', 'test', (n) => notes.push(n));
  const watcher = await connect(h.mqttUrl, await observer(h, 'watcher'));
  t.after(() => end(watcher));
  await subscribe(watcher, 'loop/ping');
  const seen: string[] = [];
  watcher.on('message', (_topic, payload) => seen.push(payload.toString()));
  const client = await connect(h.mqttUrl, await account(h, 'pinger'));
  t.after(() => end(client));
  await publish(client, 'loop/ping', '0');

  const stopped = await waitFor(() => traces(h, 'echo').find((tr) => tr.result === 'stopped'), 5000, 'loop stopped');
  assert.equal(stopped.reason, 'loop guard: a chain of 11 causes is longer than 10 (rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← rule echo ← device pinger); this run was stopped');
  await waitFor(() => seen.length === 10, 5000, '10 messages');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(notes.map((n) => [n.level, n.ruleId, n.title]), [['warning', 'echo', 'Rule echo: loop stopped']]);
  // The rule itself goes on: a new message starts a new chain.
  await publish(client, 'loop/ping', '100');
  await waitFor(() => seen.includes('109'), 5000, 'a second chain');
});

test('a rule that loops through a real device is ended by the loop guard: the light\'s answer to a command carries the command\'s cause (issue 19)', async (t) => {
  // Default limits. Before, such a loop had no cause to follow and ran until the flood guard had dropped a run
  // (500 commands in 5 s on default settings).
  const h = await startRulesHub({
    files: {
      'flicker.yaml': [
        '# Toggles the hall light whenever it changes: with a device that obeys, this never ends.',
        'id: flicker',
        'triggers:',
        '  - trigger: state',
        '    device: ourhome/groundfloor/hall/light',
        'actions:',
        '  - action: set',
        '    device: ourhome/groundfloor/hall/light',
        '    value: "{{ not value }}"',
        '',
      ].join('\n'),
    },
  });
  t.after(() => h.stop());
  const notes: Notification[] = [];
  h.hub.bus.on('notification', 'test', (n) => notes.push(n));
  // The light: does what it is told and reports it.
  const light = await connect(h.mqttUrl, await account(h, 'hall-light'));
  t.after(() => end(light));
  await subscribe(light, 'ourhome/groundfloor/hall/light/set');
  let commands = 0;
  light.on('message', (_topic, payload) => {
    commands++;
    light.publish('ourhome/groundfloor/hall/light', payload.toString(), { qos: 0 });
  });
  await publish(light, 'ourhome/groundfloor/hall/light', 'OFF');
  await waitFor(() => h.hub.registry.list().length === 1 && commands > 0, 5000, 'the light known and commanded');
  const stopped = await waitFor(() => traces(h, 'flicker').find((tr) => tr.result === 'stopped'), 10_000, 'the loop stopped');
  assert.match(stopped.reason!, /^loop guard: a chain of 1[12] causes is longer than 10 \(rule flicker ← device \S+ ← rule flicker ← device \S+ ← /);
  const settled = commands;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(commands, settled, 'the loop ended: no more commands');
  assert.ok(commands <= 12, `a handful of commands, got ${commands}`);
  assert.deepEqual(notes.map((n) => [n.level, n.ruleId, n.title]), [['warning', 'flicker', 'Rule flicker: loop stopped']]);
  const api = await login(h.httpUrl);
  const { body } = await api.get('/api/rules/flicker');
  assert.equal(body.status.state, 'running');
  assert.equal(body.status.counters.floodDropped, 0);
  // A new report from the light (not an answer to anything) starts a new chain: the rule goes on.
  const before = commands;
  light.publish('ourhome/groundfloor/hall/light', 'OFF', { qos: 1 });
  await waitFor(() => commands > before, 5000, 'a new chain');
});

test('a rule that re-triggers itself twice a run: the flood guard drops its re-entries past its share, the loop ends, the rule goes on', async (t) => {
  // Default limits: 500 re-entries in 5 s per source. Each run doubles: the loop guard alone would allow ~1,000.
  const h = await startRulesHub({
    files: {
      'fan.yaml': [
        'id: fan',
        'mode: parallel',
        'max: 1000',
        'triggers: [{trigger: mqtt, topic: fan/ping}]',
        'actions: [{action: publish, topic: fan/ping, payload: a}, {action: publish, topic: fan/ping, payload: b}, {action: publish, topic: fan/ping, payload: c}]',
        '',
      ].join('\n'),
    },
  });
  t.after(() => h.stop());
  const watcher = await connect(h.mqttUrl, await observer(h, 'watcher'));
  t.after(() => end(watcher));
  await subscribe(watcher, 'fan/ping');
  let seen = 0;
  watcher.on('message', () => seen++);
  const client = await connect(h.mqttUrl, await account(h, 'pinger'));
  t.after(() => end(client));
  await publish(client, 'fan/ping', 'go');
  const api = await login(h.httpUrl);
  const status = await waitFor(async () => {
    const { body } = await api.get('/api/rules/fan');
    return body.status.counters.floodDropped > 0 ? body.status : undefined;
  }, 20_000, 'fan re-entries dropped');
  // The loop ended: no new message for 300 ms.
  for (let last = -1, i = 0; seen !== last && i < 60; i++) {
    last = seen;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(status.state, 'running');
  assert.deepEqual(Object.keys(status.floodDropped as Record<string, number>), ['device pinger']);
  // 500 re-entries in the window, then nothing more is started: the first run and 500 re-entries publish 3 each.
  assert.ok(seen <= 1 + 3 * 501, `messages bounded by the share, got ${seen}`);
  const skipped = traces(h, 'fan').find((tr) => tr.result === 'skipped')!;
  assert.match(skipped.reason!, /^flood guard: more than 500 runs in 5 s re-triggered by the rule's own actions, caused by device pinger; this run was dropped/);
});

const countRule = (id: string): string => [
  `id: ${id}`,
  'mode: parallel',
  'max: 1000',
  'triggers: [{trigger: mqtt, topic: "sensors/+/temp"}]',
  'actions: [{action: publish, topic: seen, payload: x}]',
  '',
].join('\n');

test('a device flooding its own topic is never throttled by the guards: every one of its runs happens (issue 19)', async (t) => {
  // Default limits; the engine's clock stands still, so all 520 fall in one window (before: 21 were dropped).
  const h = await startRulesHub({ files: { 'watch.yaml': countRule('watch') } });
  t.after(() => h.stop());
  const busy = await connect(h.mqttUrl, await account(h, 'busy'));
  t.after(() => end(busy));
  for (let i = 0; i < 520; i++) busy.publish('sensors/busy/temp', String(i), { qos: 0 });
  await publish(busy, 'sensors/busy/temp', 'last', { qos: 1 });
  const api = await login(h.httpUrl);
  const status = await waitFor(async () => {
    const { body } = await api.get('/api/rules/watch');
    return body.status.counters.runs === 521 ? body.status : undefined;
  }, 20_000, '521 runs');
  assert.equal(status.state, 'running');
  assert.equal(status.counters.floodDropped, 0);
  assert.equal(status.counters.skipped, 0);
});

test('reactions under load are never skipped: fires over a busy rule\'s max wait for a run to end, and every actuator message arrives (issue 19)', async (t) => {
  const h = await startRulesHub({
    files: {
      'relay.yaml': ['id: relay', 'mode: parallel', 'max: 1', 'triggers: [{trigger: mqtt, topic: "load/+/in"}]', 'actions: [{action: publish, topic: "load/out", payload: "{{ payload }}"}]', ''].join('\n'),
    },
  });
  t.after(() => h.stop());
  const actuator = await connect(h.mqttUrl, await observer(h, 'actuator'));
  t.after(() => end(actuator));
  await subscribe(actuator, 'load/out');
  const got = new Set<string>();
  actuator.on('message', (_topic, payload) => got.add(payload.toString()));
  const sensor = await connect(h.mqttUrl, await account(h, 'burst'));
  t.after(() => end(sensor));
  const relayCounters = () => h.hub.rules.rules.runtimes().find((r) => r.rule.id === 'relay')!.counters;
  const N = 3000;
  for (let i = 0; i < N; i++) sensor.publish('load/burst/in', String(i), { qos: 1 });
  await waitFor(() => got.size === N || relayCounters().skipped > 0 || undefined, 30_000, 'every message relayed');
  const counters = relayCounters();
  assert.equal(counters.skipped, 0, 'no fire skipped');
  assert.equal(got.size, N);
  assert.ok(h.hub.rules.backlog.counters.waited > 0, 'the burst did meet the rule at its max (else this test shows nothing)');
  assert.equal(h.hub.rules.backlog.length, 0);
});

test('a rule at its max because its runs sleep in a delay skips further fires, as its mode says: that is the rule\'s design, not load', async (t) => {
  const h = await startRulesHub({
    files: { 'slow.yaml': ['id: slow', 'mode: parallel', 'max: 2', 'triggers: [{trigger: mqtt, topic: slow/in}]', 'actions: [{action: delay, duration: 10m}, {action: publish, topic: slow/out, payload: x}]', ''].join('\n') },
  });
  t.after(() => h.stop());
  const client = await connect(h.mqttUrl, await account(h, 'slowpoke'));
  t.after(() => end(client));
  for (let i = 0; i < 3; i++) await publish(client, 'slow/in', String(i), { qos: 1 });
  const skipped = await waitFor(() => traces(h, 'slow').find((tr) => tr.result === 'skipped'), 5000, 'the third fire skipped');
  assert.equal(skipped.reason, '2 runs already running (max: 2): this fire was skipped');
  assert.equal(h.hub.rules.backlog.length, 0);
  assert.equal(h.hub.rules.backlog.counters.waited, 0);
});

test('issue 19: a rule whose trigger matches 30 sensors, 3,000 messages in one window, is never throttled on default settings', async (t) => {
  const h = await startRulesHub({ files: { 'watch.yaml': countRule('watch') } });
  t.after(() => h.stop());
  const sensors = await Promise.all(Array.from({ length: 30 }, async (_, n) => connect(h.mqttUrl, await account(h, `sensor-${n}`))));
  t.after(() => Promise.all(sensors.map((s) => end(s))));
  await Promise.all(sensors.map(async (s, n) => {
    for (let i = 0; i < 99; i++) s.publish(`sensors/sensor-${n}/temp`, String(i), { qos: 0 });
    await publish(s, `sensors/sensor-${n}/temp`, 'last', { qos: 1 });
  }));
  const api = await login(h.httpUrl);
  const status = await waitFor(async () => {
    const { body } = await api.get('/api/rules/watch');
    return body.status.counters.fired === 3000 ? body.status : undefined;
  }, 30_000, '3,000 fires');
  assert.equal(status.state, 'running');
  assert.equal(status.counters.floodDropped, 0);
  assert.equal(status.floodDropped, undefined);
  assert.equal(traces(h, 'watch').filter((tr) => tr.result !== 'done' && tr.result !== 'running').length, 0);
});
