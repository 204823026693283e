import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ack, RulesUpdate, RuleTracesUpdate } from '../../server/realtime/protocol.js';
import { adminPassword, connect, end, publish, waitFor } from '../helpers/hub.js';
import { account, login, startRulesHub } from '../flows/rules-helpers.js';
import { liveConnect, sessionCookie, type LiveClient } from '../e2e/lib/socket-client.js';

// Rule statuses and evaluations over the socket (server/realtime/rule-events.ts): only to sockets that subscribed
// (members may), coalesced like device deltas: a burst of evaluations is a few batches, each bounded.

const subscribe = (socket: LiveClient, topic: string): Promise<Ack> =>
  (socket.emitWithAck as unknown as (event: string, topic: unknown) => Promise<Ack>)('subscribe', topic);

test('a burst of 300 evaluations reaches a member as a few bounded batches; a socket that did not subscribe gets none', async (t) => {
  const h = await startRulesHub({
    files: { 'echo.yaml': ['id: echo', 'name: Echo', 'mode: parallel', 'triggers: [{trigger: mqtt, topic: live/in}]', 'actions: [{action: publish, topic: live/out, payload: "{{ payload }}"}]', ''].join('\n') },
  });
  t.after(() => h.stop());
  const admin = await login(h.httpUrl);
  assert.equal((await admin.post('/api/users', { username: 'mia', password: 'member-password', role: 'member' })).status, 201);
  const member = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'mia', 'member-password') });
  const bystander = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'admin', adminPassword) });
  t.after(() => member.socket.close());
  t.after(() => bystander.socket.close());
  const rules: RulesUpdate[] = [];
  const traces: RuleTracesUpdate[] = [];
  let bystanderGot = 0;
  member.socket.on('rules', (u) => void rules.push(u));
  member.socket.on('ruleTraces', (u) => void traces.push(u));
  bystander.socket.on('rules', () => void bystanderGot++);
  bystander.socket.on('ruleTraces', () => void bystanderGot++);
  assert.deepEqual(await subscribe(member.socket, 'rules'), { ok: true });
  assert.deepEqual(await subscribe(member.socket, 'rule:echo'), { ok: true });
  await waitFor(() => rules.length >= 1 && traces.length >= 1, 5000, 'the full state on subscribe');
  assert.equal(rules[0]!.full, true);
  assert.deepEqual(rules[0]!.rules.map((r) => r.id), ['echo']);
  assert.deepEqual(traces[0], { ruleId: 'echo', full: true, traces: [] });

  const sender = await connect(h.mqttUrl, await account(h, 'sender'));
  t.after(() => end(sender));
  const burst = 300;
  for (let i = 0; i < burst; i++) void publish(sender, 'live/in', String(i));
  // The last message's evaluation (run or skipped: `parallel` runs at most 10 at once) arrives live.
  await waitFor(() => traces.some((u) => u.traces.some((x) => x.trigger?.description?.includes(`"${burst - 1}"`))), 20_000, 'the last evaluation seen live');
  const runs = traces.slice(1);
  assert.ok(runs.length < burst, `${runs.length} batches for ${burst} evaluations`);
  for (const u of runs) {
    assert.equal(u.full, false);
    assert.ok(u.traces.length <= 50);
    assert.equal(new Set(u.traces.map((x) => x.id)).size, u.traces.length, 'a trace at most once per batch');
  }
  await waitFor(() => rules.slice(1).some((u) => !u.full && u.rules[0]?.lastRun !== undefined), 5000, 'the status with its last run');
  assert.ok(rules.length - 1 < burst, `${rules.length - 1} status batches for ${burst} evaluations`);
  assert.equal(bystanderGot, 0);

  // Saving the rule sends the whole list again.
  const before = rules.length;
  await admin.post('/api/rules/echo/enabled', { enabled: false });
  const full = await waitFor(() => rules.slice(before).find((u) => u.full), 5000, 'the full list after a change');
  assert.equal(full.rules[0]!.enabled, false);
});
