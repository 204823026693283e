import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountItem, Ack, BrokerStats, LiveTopic } from '../../server/realtime/protocol.js';
import { connect, end, publish, startHub, waitFor } from '../helpers/hub.js';
import { loginAsAdmin } from '../helpers/http.js';
import { client } from '../helpers/http.js';
import { liveConnect, sessionCookie, type LiveClient } from '../e2e/lib/socket-client.js';

// Device accounts and the broker page live over the socket (server/realtime/live-topics.ts): only to admins, only
// to sockets that subscribed; revoke disconnects the account's clients and the list says so; rotate gives a new
// password once. Members are refused on the socket and on REST.

const subscribe = (socket: LiveClient, topic: LiveTopic | string): Promise<Ack> =>
  (socket.emitWithAck as unknown as (event: string, topic: unknown) => Promise<Ack>)('subscribe', topic);
const unsubscribe = (socket: LiveClient, topic: LiveTopic): Promise<Ack> =>
  (socket.emitWithAck as unknown as (event: string, topic: unknown) => Promise<Ack>)('unsubscribe', topic);

test('accounts arrive live to admins: created, revoked (its clients disconnected), rotated (new password once); members are refused', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const api = await loginAsAdmin(hub.httpUrl);
  assert.equal((await api.post('/api/users', { username: 'mia', password: 'member-password', role: 'member' })).status, 201);

  const admin = await liveConnect(hub.httpUrl, { cookie: await sessionCookie(hub.httpUrl, 'admin', 'test-admin-password') });
  t.after(() => admin.socket.close());
  const lists: AccountItem[][] = [];
  admin.socket.on('accounts', (l) => void lists.push(l.accounts));
  assert.deepEqual(await subscribe(admin.socket, 'accounts'), { ok: true });
  await waitFor(() => lists.length >= 1, 5000, 'the list on subscribe');
  assert.equal(lists[0]!.some((a) => a.username === 'garage-door'), false);

  const created = await api.post('/api/accounts', { username: 'garage-door' });
  assert.equal(created.status, 201);
  const latest = (): AccountItem | undefined => lists[lists.length - 1]?.find((a) => a.username === 'garage-door');
  await waitFor(() => latest(), 5000, 'the new account pushed');
  assert.equal(latest()!.revokedAt, undefined);
  assert.equal(JSON.stringify(lists).includes(created.body.password), false, 'no password on the socket');

  const device = await connect(hub.mqttUrl, { username: 'garage-door', password: created.body.password, reconnectPeriod: 0 });
  t.after(() => end(device));
  const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
  const revoked = await api.del('/api/accounts/garage-door');
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.disconnected, 1);
  await closed;
  await waitFor(() => latest()?.revokedAt !== undefined, 5000, 'revoked pushed');
  await assert.rejects(connect(hub.mqttUrl, { username: 'garage-door', password: created.body.password, reconnectPeriod: 0 }), /Bad username or password|Not authorized/);

  const pushes = lists.length;
  const rotated = await api.post('/api/accounts/garage-door/rotate', {});
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.password, created.body.password);
  await waitFor(() => lists.length > pushes && latest()?.revokedAt === undefined, 5000, 'rotated (re-enabled) pushed');
  const back = await connect(hub.mqttUrl, { username: 'garage-door', password: rotated.body.password, reconnectPeriod: 0 });
  await end(back);

  // A member: the socket refuses the admin topics (and sends nothing of them), REST refuses revoke and rotate.
  const memberCookie = await sessionCookie(hub.httpUrl, 'mia', 'member-password');
  const member = await liveConnect(hub.httpUrl, { cookie: memberCookie });
  t.after(() => member.socket.close());
  let memberGot = 0;
  member.socket.on('accounts', () => void memberGot++);
  member.socket.on('broker', () => void memberGot++);
  for (const topic of ['accounts', 'broker'] as const) {
    const ack = await subscribe(member.socket, topic);
    assert.equal(ack.ok, false);
    assert.equal(!ack.ok && ack.error, 'RUMAH_ERR_FORBIDDEN');
  }
  const memberApi = client(hub.httpUrl, { cookie: memberCookie });
  assert.equal((await memberApi.del('/api/accounts/garage-door')).status, 403);
  assert.equal((await memberApi.post('/api/accounts/garage-door/rotate', {})).status, 403);
  const before = lists.length;
  await api.post('/api/accounts', { username: 'porch' });
  await waitFor(() => lists.length > before, 5000, 'the admin hears of the next change');
  assert.equal(memberGot, 0, 'the member socket got no accounts or broker event');

  // Odd requests are answered, not crashes.
  const bad = await subscribe(member.socket, { toString: 1 } as unknown as string);
  assert.equal(!bad.ok && bad.error, 'RUMAH_ERR_BAD_REQUEST');
  const unknownRule = await subscribe(member.socket, 'rule:nope');
  assert.equal(!unknownRule.ok && unknownRule.error, 'RUMAH_ERR_NOT_FOUND');
  assert.equal(member.socket.connected, true);
  // Repeated subscriptions (each sends a whole state) are bounded per connection.
  const answers: Ack[] = [];
  for (let i = 0; i < 70; i++) answers.push(await subscribe(member.socket, 'rules'));
  assert.ok(answers.some((a) => !a.ok && a.error === 'RUMAH_ERR_RATE_LIMITED'));
  assert.equal(member.socket.connected, true);
});

test('broker stats go only to sockets that subscribed: everything once, then only the topics that changed', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const cookie = await sessionCookie(hub.httpUrl, 'admin', 'test-admin-password');
  const a = await liveConnect(hub.httpUrl, { cookie });
  const b = await liveConnect(hub.httpUrl, { cookie });
  t.after(() => a.socket.close());
  t.after(() => b.socket.close());
  const gotA: BrokerStats[] = [];
  const gotB: BrokerStats[] = [];
  a.socket.on('broker', (s) => void gotA.push(s));
  b.socket.on('broker', (s) => void gotB.push(s));

  const pub = await connect(hub.mqttUrl, { username: 'admin', password: 'test-admin-password' });
  t.after(() => end(pub));
  await publish(pub, 'stats/old', 'before', { qos: 1 });
  // Updates carry topics whose message came at or after the previous update's millisecond (`>=`: one in that very
  // millisecond may have come after it, and twice is harmless). Let the clock move past stats/old's first (the full
  // view below shows it was recorded before the subscription).
  await new Promise((r) => setTimeout(r, 20));

  assert.deepEqual(await subscribe(a.socket, 'broker'), { ok: true });
  assert.deepEqual(await subscribe(b.socket, 'broker'), { ok: true });
  await waitFor(() => gotA.length >= 1 && gotB.length >= 1, 5000, 'the full view on subscribe');
  assert.equal(gotA[0]!.full, true);
  assert.ok(gotA[0]!.topics.some((x) => x.topic === 'stats/old'));

  await publish(pub, 'stats/new', 'after', { qos: 1 });
  const update = await waitFor(() => gotA.find((s) => !s.full && s.topics.some((x) => x.topic === 'stats/new')), 10_000, 'an update with the new topic');
  assert.equal(update.topics.some((x) => x.topic === 'stats/old'), false, 'a topic that did not change is not sent again');

  // A unsubscribes; B goes on receiving updates, A none.
  assert.deepEqual(await unsubscribe(a.socket, 'broker'), { ok: true });
  const countA = gotA.length;
  const countB = gotB.length;
  await publish(pub, 'stats/later', 'x', { qos: 1 });
  await waitFor(() => gotB.slice(countB).some((s) => s.topics.some((x) => x.topic === 'stats/later')), 10_000, 'B hears of stats/later');
  await publish(pub, 'stats/last', 'x', { qos: 1 });
  await waitFor(() => gotB.slice(countB).some((s) => s.topics.some((x) => x.topic === 'stats/last')), 10_000, 'B hears of stats/last');
  assert.equal(gotA.length, countA, 'no broker event after unsubscribe');
});
