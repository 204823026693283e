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

test('a rule that floods through a real device (no causes to follow) is stopped by the flood guard and reported', async (t) => {
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
    return body.status.state === 'stopped' ? body.status : undefined;
  }, 10_000, 'flicker stopped');
  assert.equal(status.stopped.reason, 'flood guard: more than 20 runs in 1 min; the rule was stopped. Fix it and save the file, or enable it again');
  const settled = commands;
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(commands <= settled + 1, 'the commands stop');
  assert.ok(commands >= 19 && commands <= 21, `about 20 commands, got ${commands}`);
  assert.deepEqual(notes.map((n) => [n.level, n.title]), [['error', 'Rule flicker stopped']]);
  assert.equal(traces(h, 'flicker')[0]!.result, 'stopped');

  // Enabling it again (the file says enabled already) restarts it.
  const again = await api.post('/api/rules/flicker/enabled', { enabled: true });
  assert.equal(again.status, 200);
  assert.equal(again.body.status.state, 'running');
});
