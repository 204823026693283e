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

test('a rule that loops through a real device (no causes to follow): the flood guard drops that source\'s runs, which ends the loop; the rule keeps running', async (t) => {
  const h = await startRulesHub({
    rules: { limits: { floodRuns: 20, floodWindowMs: 60_000 } },
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
  await publish(light, 'ourhome/groundfloor/hall/light', 'ON');

  const api = await login(h.httpUrl);
  const status = await waitFor(async () => {
    const { body } = await api.get('/api/rules/flicker');
    return body.status.counters.floodDropped > 0 ? body.status : undefined;
  }, 10_000, 'a flicker run dropped');
  assert.equal(status.state, 'running');
  const [source, dropped] = Object.entries(status.floodDropped as Record<string, number>)[0]!;
  assert.match(source, /^device /);
  assert.equal(dropped, 1);
  const settled = commands;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(commands, settled, 'the loop ended: no more commands');
  assert.ok(commands >= 19 && commands <= 21, `about 20 commands, got ${commands}`);
  assert.deepEqual(notes.map((n) => [n.level, n.title]), [['warning', `Rule flicker: runs from ${source} dropped`]]);
  const skipped = traces(h, 'flicker').find((tr) => tr.result === 'skipped')!;
  assert.equal(skipped.reason, `flood guard: more than 20 runs in 1 min caused by ${source}; this run was dropped (1 dropped from ${source} so far). Other sources still run the rule`);
});

const countRule = (id: string): string => [
  `id: ${id}`,
  'mode: parallel',
  'max: 1000',
  'triggers: [{trigger: mqtt, topic: "sensors/+/temp"}]',
  'actions: [{action: publish, topic: seen, payload: x}]',
  '',
].join('\n');

test('a device flooding its own topic cannot switch off an admin\'s rule: its excess runs are dropped and counted, another device still runs it', async (t) => {
  // Default limits (500 runs in 5 s per source); the engine's clock stands still, so all 520 fall in one window.
  const h = await startRulesHub({ files: { 'watch.yaml': countRule('watch') } });
  t.after(() => h.stop());
  const notes: Notification[] = [];
  h.hub.bus.on('notification', 'test', (n) => notes.push(n));
  const pest = await connect(h.mqttUrl, await account(h, 'pest'));
  t.after(() => end(pest));
  for (let i = 0; i < 520; i++) pest.publish('sensors/pest/temp', String(i), { qos: 0 });
  await publish(pest, 'sensors/pest/temp', 'last', { qos: 1 });
  const api = await login(h.httpUrl);
  const status = await waitFor(async () => {
    const { body } = await api.get('/api/rules/watch');
    return body.status.counters.fired === 521 ? body.status : undefined;
  }, 20_000, '521 fires');
  assert.equal(status.state, 'running');
  assert.equal(status.counters.floodDropped, 21);
  assert.deepEqual(status.floodDropped, { 'device pest': 21 });
  assert.deepEqual(notes.map((n) => [n.level, n.title]), [['warning', 'Rule watch: runs from device pest dropped']]);

  // Another device still runs it: its own share is whole.
  const good = await connect(h.mqttUrl, await account(h, 'good'));
  t.after(() => end(good));
  await publish(good, 'sensors/good/temp', '21.5');
  const done = await waitFor(() => traces(h, 'watch').find((tr) => tr.cause?.endsWith('device good') && tr.result === 'done'), 10_000, 'a run from device good');
  assert.ok(done);
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
