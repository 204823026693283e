import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { adminPassword, connect, deviceAccount, end, publish, startHub, subscribe, waitFor, type TestHub } from '../helpers/hub.js';

// How the broker routes: every message reaches its subscribers and the registry once, in the order each client sent
// it, whatever its QoS, retained or not, and every QoS 1 publish is acknowledged.

const admin = { username: 'admin', password: adminPassword };

/** A hub and an admin client subscribed to each filter at its QoS. */
async function hubWithSubscriber(t: TestContext, ...filters: Array<[string, 0 | 1]>): Promise<{ hub: TestHub; sub: Awaited<ReturnType<typeof connect>> }> {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sub = await connect(hub.mqttUrl, admin);
  t.after(() => end(sub));
  for (const [filter, qos] of filters) await subscribe(sub, filter, qos);
  return { hub, sub };
}

test('a client\'s mixed QoS 1 and QoS 0 publishes all reach a live subscriber, in the order sent', async (t) => {
  const { hub, sub } = await hubWithSubscriber(t, ['ourhome/#', 1]);
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.toString()));
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  const sent = Array.from({ length: 60 }, (_, i) => String(i));
  // Without waiting between them: a QoS 1 message is stored before it is acknowledged, and must not be overtaken.
  for (const v of sent) pub.publish('ourhome/groundfloor/hall/counter', v, { qos: Number(v) % 3 === 0 ? 1 : 0 });
  await waitFor(() => got.length === sent.length, 5000, `all ${sent.length} messages (got ${got.length})`);
  assert.deepEqual(got, sent);
});

/**
 * aedes numbers every packet when it is created and a subscriber drops any packet numbered below one it already
 * got (a filter meant for duplicates between clustered brokers). A retained QoS 1 message is numbered, then waits
 * for its commit; another client's QoS 0 message numbered after it is routed at once — and the retained one was
 * then silently dropped for every subscriber that had seen the newer one.
 */
test('a retained QoS 1 message is not lost to a subscriber while other clients publish', async (t) => {
  const { hub, sub } = await hubWithSubscriber(t, ['ourhome/#', 1]);
  const got = new Set<string>();
  sub.on('message', (topic, payload) => topic.endsWith('/light') && got.add(payload.toString()));
  const retained = await connect(hub.mqttUrl, admin);
  const chatty = await connect(hub.mqttUrl, admin);
  t.after(() => Promise.all([end(retained), end(chatty)]));
  let streaming = true;
  const stream = (async () => {
    for (let i = 0; streaming; i++) {
      chatty.publish('ourhome/groundfloor/hall/temperature', String(i), { qos: 0 });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  const sent = Array.from({ length: 30 }, (_, i) => `state-${i}`);
  for (const v of sent) await publish(retained, 'ourhome/groundfloor/hall/light', v, { qos: 1, retain: true });
  streaming = false;
  await stream;
  await waitFor(() => got.size === sent.length, 5000, `all ${sent.length} retained messages (got ${got.size})`);
});

test('overlapping subscriptions still deliver one copy of each message', async (t) => {
  const { hub, sub } = await hubWithSubscriber(t, ['ourhome/#', 0], ['ourhome/+/hall/light', 1]);
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.toString()));
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  for (const v of ['a', 'b', 'c']) await publish(pub, 'ourhome/groundfloor/hall/light', v, { qos: 1 });
  await publish(pub, 'ourhome/groundfloor/hall/end', 'end', { qos: 1 });
  await waitFor(() => got.includes('end'));
  assert.deepEqual(got, ['a', 'b', 'c', 'end']);
});

/**
 * A client may publish as soon as it has its CONNACK, while aedes is still finishing the CONNECT (sending the
 * messages queued for its session). The PUBACK of a QoS 1 message sent then was skipped: the client waited for ever.
 */
test('a QoS 1 publish sent right after the CONNACK is acknowledged, while the session queue is still being sent', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const sleepy = await connect(hub.mqttUrl, { ...admin, clientId: 'eager', clean: false });
  await subscribe(sleepy, 'ourhome/queued/#', 1);
  await end(sleepy);
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => end(pub));
  await Promise.all(Array.from({ length: 300 }, (_, i) => publish(pub, 'ourhome/queued/room/thing', String(i), { qos: 1 })));
  const back = await connect(hub.mqttUrl, { ...admin, clientId: 'eager', clean: false });
  t.after(() => end(back));
  await Promise.race([
    publish(back, 'ourhome/groundfloor/hall/eager', 'now', { qos: 1 }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no PUBACK')), 10000).unref()),
  ]);
});

/**
 * A client's publishes wait in its queue while earlier QoS 1 ones are stored (server/mqtt/publish-order.ts), and the
 * queue is kept until the client disconnects. A connection dropped with stored QoS 1 publishes still on their way,
 * then taken up again under the same client id, must neither hold the new connection's messages behind the old
 * queue nor lose or repeat any of them.
 */
test('a client dropped with QoS 1 publishes on their way and back under its id: the new messages all arrive, once, in order', async (t) => {
  const { hub, sub } = await hubWithSubscriber(t, ['ourhome/#', 1]);
  const got: string[] = [];
  sub.on('message', (_topic, payload) => got.push(payload.toString()));
  // An offline persistent session on the topic: every QoS 1 publish there is stored before it is routed (serial).
  const keeper = await connect(hub.mqttUrl, { ...admin, clientId: 'keeper', clean: false });
  await subscribe(keeper, 'ourhome/reconnect/#', 1);
  await end(keeper);
  const first = await connect(hub.mqttUrl, { ...admin, clientId: 'flaky' });
  for (let i = 0; i < 50; i++) first.publish('ourhome/reconnect/hall/level', `old-${i}`, { qos: 1 });
  first.stream.destroy();
  await end(first);
  const again = await connect(hub.mqttUrl, { ...admin, clientId: 'flaky' });
  t.after(() => end(again));
  const sent = Array.from({ length: 40 }, (_, i) => `new-${i}`);
  const acked = sent.map((v, i) => (i % 2 ? publish(again, 'ourhome/reconnect/hall/level', v, { qos: 1 }) : (again.publish('ourhome/reconnect/hall/level', v, { qos: 0 }), undefined)));
  await Promise.all(acked);
  await waitFor(() => got.filter((v) => v.startsWith('new-')).length === sent.length, 5000, `all ${sent.length} new messages (got ${got.length})`);
  assert.deepEqual(got.filter((v) => v.startsWith('new-')), sent);
  const old = got.filter((v) => v.startsWith('old-'));
  assert.deepEqual(old, old.map((_, i) => `old-${i}`), 'what the dropped connection got through arrived in order, once');
  // The stored session has the QoS 1 ones of both connections, in order.
  const back = await connect(hub.mqttUrl, { ...admin, clientId: 'keeper', clean: false });
  t.after(() => end(back));
  const queued: string[] = [];
  back.on('message', (_topic, payload) => queued.push(payload.toString()));
  const newQos1 = sent.filter((_, i) => i % 2);
  await waitFor(() => queued.filter((v) => v.startsWith('new-')).length === newQos1.length, 5000, `the session's queue (got ${queued.length})`);
  assert.deepEqual(queued.filter((v) => v.startsWith('new-')), newQos1);
  assert.deepEqual(queued.filter((v) => v.startsWith('old-')), old);
});

test('a device\'s mixed QoS 1 and QoS 0 reports reach the registry in the order sent, while others subscribe', async (t) => {
  const { hub } = await hubWithSubscriber(t, ['ourhome/#', 1]);
  const device = await connect(hub.mqttUrl, await deviceAccount(hub));
  t.after(() => end(device));
  const seen: number[] = [];
  hub.hub.bus.on('stateChanged', 'test', (c) => void (c.deviceId === 'ourhome-groundfloor-hall-level' && seen.push(c.value as number)));
  const sent = Array.from({ length: 80 }, (_, i) => i);
  for (const v of sent) device.publish('ourhome/groundfloor/hall/level', String(v), { qos: v % 4 === 0 ? 0 : 1 });
  await waitFor(() => seen.length === sent.length, 5000, `all ${sent.length} changes (got ${seen.length})`);
  assert.deepEqual(seen, sent);
});

/**
 * A QoS 1 message is published by rumah itself and acknowledged after its commit; aedes then goes on with the
 * packet renamed to a sink topic. That packet was routed like any other: an admin following $SYS/# got a copy of
 * every QoS 1 message (and of every denied one). It now ends at the sink without being routed.
 */
test('an admin following $SYS/# gets no copies of QoS 1 or denied messages', async (t) => {
  const { hub, sub } = await hubWithSubscriber(t, ['$SYS/#', 0], ['ourhome/#', 0]);
  const sys: string[] = [];
  const home: string[] = [];
  sub.on('message', (topic, payload) => (topic.startsWith('$SYS/') ? sys : home).push(`${topic} ${payload.toString()}`));
  const owner = await connect(hub.mqttUrl, await deviceAccount(hub));
  const other = await connect(hub.mqttUrl, await deviceAccount(hub));
  const pub = await connect(hub.mqttUrl, admin);
  t.after(() => Promise.all([end(owner), end(other), end(pub)]));
  for (const v of ['a', 'b']) await publish(owner, 'ourhome/groundfloor/hall/light', v, { qos: 1 });
  // Another account's device topic: acknowledged and dropped by the device ACL.
  await publish(other, 'ourhome/groundfloor/hall/light', 'denied', { qos: 1 });
  await publish(pub, 'ourhome/groundfloor/hall/end', 'end', { qos: 0 });
  await waitFor(() => home.some((m) => m.endsWith(' end')));
  // The broker's own $SYS messages (heartbeats) may arrive; none carries a client's payload.
  assert.deepEqual(sys.filter((m) => /(?:^| )(?:a|b|denied)$/.test(m)), []);
  assert.equal(home.length, 3);
});
