import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, end, publish, waitFor } from '../helpers/hub.js';
import { liveConnect, sessionCookie } from '../e2e/lib/socket-client.js';
import { account, login, startRulesHub } from './rules-helpers.js';

// The `notify` action's notifications reach every logged-in dashboard over socket.io (server/realtime/
// notifications.ts), bounded: at most 20 in a batch (the rest counted as dropped), the last 20 to a late comer.
test('rule notifications reach members\' and admins\' sockets in bounded batches; a socket that connects later gets the last 20', async (t) => {
  const h = await startRulesHub({
    files: {
      'chatty.yaml': [
        'id: chatty',
        'triggers: [{trigger: mqtt, topic: chatty/go}]',
        `actions: [${Array.from({ length: 25 }, (_, i) => `{action: notify, title: "n${i}", message: "number ${i}"}`).join(', ')}]`,
        '',
      ].join('\n'),
    },
  });
  t.after(() => h.stop());
  const admin = await login(h.httpUrl);
  assert.equal((await admin.post('/api/users', { username: 'mia', password: 'member-password-1', role: 'member' })).status, 201);
  const sockets = await Promise.all([['admin', adminPassword], ['mia', 'member-password-1']].map(async ([user, password]) => {
    const live = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, user!, password!) });
    return { live, batches: live.notifications };
  }));
  t.after(() => sockets.forEach((s) => s.live.socket.close()));

  const device = await connect(h.mqttUrl, await account(h, 'trigger'));
  t.after(() => end(device));
  await publish(device, 'chatty/go', '1');
  for (const { batches } of sockets) {
    await waitFor(() => batches.reduce((n, b) => n + b.notifications.length + b.dropped, 0) === 25, 10_000, '25 notifications, sent or counted');
    const sent = batches.flatMap((b) => b.notifications);
    assert.ok(batches.every((b) => b.notifications.length <= 20), 'at most 20 a batch');
    assert.deepEqual(sent.map((n) => n.title), Array.from({ length: 25 }, (_, i) => `n${i}`).slice(0, sent.length), 'in order');
    assert.equal(sent[0]!.ruleId, 'chatty');
    assert.equal(sent[0]!.message, 'number 0');
  }

  const late = await liveConnect(h.httpUrl, { cookie: await sessionCookie(h.httpUrl, 'mia', 'member-password-1') });
  t.after(() => late.socket.close());
  const first = await waitFor(() => late.notifications[0], 10_000, 'the last 20 on connect');
  assert.deepEqual(first.notifications.map((n) => n.title), Array.from({ length: 20 }, (_, i) => `n${i + 5}`));
});
