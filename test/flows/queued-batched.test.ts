import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { connect, end, publish, startHub, subscribe } from '../helpers/hub.js';
import { admin, kill, mqttUrlOf, withHub } from '../helpers/crash.js';
import { connect5, hubFor, subscribe5, until } from '../helpers/mqtt5.js';

// QoS 1 publishes of one client queued for a stored session start together, up to 16 (server/mqtt/publish-order.ts
// `queued`): their queue writes share broker.db transactions, each PUBACK still follows the commit of its write, and
// each message enters the router after the one before it (server/mqtt/emit-order.ts). These check that every
// subscriber gets them in the order sent, that an acknowledged one survives kill -9, and that a store that fills up
// part-way keeps both.

/** Publishes all at once (MQTT.js does not wait for PUBACKs); resolves with the indexes acknowledged, in order. */
function publishAll(client: MqttClient, messages: Array<[string, string]>, onLastAck?: () => void): Promise<number[]> {
  return new Promise((resolve) => {
    const acked: number[] = [];
    let settled = 0;
    client.once('close', () => resolve(acked));
    messages.forEach(([topic, payload], i) =>
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (!err) acked.push(i);
        if (acked.length === messages.length) onLastAck?.();
        if (++settled === messages.length) resolve(acked);
      }),
    );
  });
}

test('QoS 1 publishes queued for an offline session, in flight together: after a kill -9 at the last PUBACK the session gets each one, in order', async (t) => {
  const { start } = await withHub(t);
  const hub = await start();
  const session = await connect(mqttUrlOf(hub), { ...admin, clientId: 'queued-keeper', clean: false });
  await subscribe(session, 'ourhome/queued/#', 1);
  await end(session);
  const pub = await connect(mqttUrlOf(hub), { ...admin, clientId: 'queued-publisher' });
  t.after(() => end(pub));
  const messages = Array.from({ length: 300 }, (_, i): [string, string] => [`ourhome/queued/t${i % 7}/level`, String(i)]);
  let killed: Promise<void> | undefined;
  const acked = await publishAll(pub, messages, () => (killed = kill(hub)));
  assert.deepEqual(acked, messages.map((_, i) => i), 'every publish acknowledged, in the order sent, before the kill');
  await killed;

  const again = await start();
  const got: string[] = [];
  const back = await connect(mqttUrlOf(again), { ...admin, clientId: 'queued-keeper', clean: false }, (c) => c.on('message', (_topic, payload) => got.push(payload.toString())));
  t.after(() => end(back));
  await until(() => got.length >= messages.length, `the session's ${messages.length} queued messages (got ${got.length})`);
  assert.deepEqual(got, messages.map(([, payload]) => payload));
});

/**
 * Messages whose queue writes take different paths: one topic is followed by a subscription with a Subscription
 * Identifier (its copy queued in a promise of its own, server/mqtt/queued-identifiers.ts), the other by one without.
 * Resolved after the same commit, the first a step later: started together and kept in order by counting steps, the
 * second overtook the first (this test failed so, before emit-order.ts).
 */
test('a client alternating between topics queued with and without a Subscription Identifier: every subscriber gets its messages in the order sent', async (t) => {
  const hub = await hubFor(t);
  const session = await connect5(t, hub.mqttUrl, { clientId: 'queued-si', clean: false, properties: { sessionExpiryInterval: 3600 } });
  await subscribe5(session.client, 'ourhome/si/a/level', { qos: 1, properties: { subscriptionIdentifier: 5 } });
  await subscribe5(session.client, 'ourhome/si/b/level', { qos: 1 });
  const live = await connect(hub.mqttUrl, admin);
  t.after(() => end(live));
  const seen: string[] = [];
  live.on('message', (_topic, payload) => seen.push(payload.toString()));
  await subscribe(live, 'ourhome/si/#', 1);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'queued-si-publisher' });
  t.after(() => end(pub));
  const messages = Array.from({ length: 200 }, (_, i): [string, string] => [`ourhome/si/${i % 2 ? 'b' : 'a'}/level`, String(i)]);
  const acked = await publishAll(pub, messages);
  assert.equal(acked.length, messages.length);
  const sent = messages.map(([, payload]) => payload);
  await until(() => seen.length >= sent.length && session.messages.length >= sent.length, `every copy (live ${seen.length}, session ${session.messages.length})`);
  assert.deepEqual(seen, sent, 'the live subscriber, in the order sent');
  assert.deepEqual(session.messages.map((m) => m.payload.toString()), sent, 'the stored session, in the order sent');
});

test('a full broker store while many queued QoS 1 publishes are on their way: the acknowledged ones reach the session in order, the live subscriber gets them in order, and the client can publish again once there is room', async (t) => {
  const hub = await startHub({}, { brokerStoreMaxPages: 40 });
  t.after(() => hub.stop());
  const session = await connect(hub.mqttUrl, { ...admin, clientId: 'full-keeper', clean: false });
  await subscribe(session, 'ourhome/full/#', 1);
  await end(session);
  const live = await connect(hub.mqttUrl, admin);
  t.after(() => end(live));
  const seen: number[] = [];
  live.on('message', (_topic, payload) => seen.push(Number(payload.subarray(0, 8).toString().trim())));
  await subscribe(live, 'ourhome/full/#', 1);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'full-publisher' });
  // 3 KB each, all at once: the store fills up part-way (40 pages of 4 KiB).
  const messages = Array.from({ length: 200 }, (_, i): [string, string] => [`ourhome/full/t${i % 5}/blob`, String(i).padEnd(8) + 'x'.repeat(3000)]);
  const acked = await publishAll(pub, messages);
  await end(pub);
  assert.ok(acked.length > 0 && acked.length < messages.length, `some acknowledged, not all (${acked.length})`);
  assert.deepEqual(acked, acked.map((_, i) => i), 'acknowledged in the order sent, none after one that failed');
  await until(() => seen.length >= acked.length, `the live subscriber's copies (got ${seen.length} of at least ${acked.length})`);
  assert.deepEqual(seen.slice(0, acked.length), acked, 'the live subscriber got the acknowledged ones first, in order');
  assert.deepEqual(seen, seen.map((_, i) => i), 'and nothing out of order after them');
  // The session takes its queue (freeing the store): every acknowledged message, in order.
  const got: number[] = [];
  const back = await connect(hub.mqttUrl, { ...admin, clientId: 'full-keeper', clean: false }, (c) => c.on('message', (_topic, payload) => got.push(Number(payload.subarray(0, 8).toString().trim()))));
  t.after(() => end(back));
  await until(() => got.length >= acked.length, `the session's queue (got ${got.length} of at least ${acked.length})`);
  assert.deepEqual(got.slice(0, acked.length), acked);
  await end(back);
  // The same client id publishes again: nothing of the failed run holds it back.
  const again = await connect(hub.mqttUrl, { ...admin, clientId: 'full-publisher' });
  t.after(() => end(again));
  await publish(again, 'ourhome/full/again/level', 'ok', { qos: 1 });
});

test('a stored session\'s backlog of QoS 1 messages goes out without a commit per message, in order, and none comes again', async (t) => {
  const hub = await startHub();
  t.after(() => hub.stop());
  const session = await connect(hub.mqttUrl, { ...admin, clientId: 'backlog-keeper', clean: false });
  await subscribe(session, 'ourhome/backlog/#', 1);
  await end(session);
  const pub = await connect(hub.mqttUrl, { ...admin, clientId: 'backlog-publisher' });
  t.after(() => end(pub));
  const messages = Array.from({ length: 400 }, (_, i): [string, string] => [`ourhome/backlog/t${i % 5}/level`, String(i)]);
  assert.equal((await publishAll(pub, messages)).length, messages.length);

  // aedes sends a session's queue one message at a time, each when the one before is written; recording each one's
  // packet identifier was a commit that the next waited for: at least one transaction per message (515–558 here
  // with the PUBACKs' own). The records now share transactions with the PUBACKs (~200).
  const before = hub.hub.persistence!.stats.transactions;
  const got: Array<{ payload: string; dup: boolean }> = [];
  const back = await connect(hub.mqttUrl, { ...admin, clientId: 'backlog-keeper', clean: false }, (c) =>
    c.on('message', (_topic, payload, packet) => got.push({ payload: payload.toString(), dup: packet.dup })),
  );
  await until(() => got.length >= messages.length, `the session's ${messages.length} queued messages (got ${got.length})`);
  const commits = hub.hub.persistence!.stats.transactions - before;
  assert.deepEqual(got.map((m) => m.payload), messages.map(([, payload]) => payload));
  assert.ok(got.every((m) => !m.dup), 'sent once each: none marked as sent before');
  assert.ok(commits < messages.length, `${commits} broker.db transactions for a backlog of ${messages.length}`);

  // Acknowledged (MQTT.js answers each), so nothing is left for the next connection.
  await end(back);
  const again: string[] = [];
  const third = await connect(hub.mqttUrl, { ...admin, clientId: 'backlog-keeper', clean: false }, (c) => c.on('message', (_topic, payload) => again.push(payload.toString())));
  t.after(() => end(third));
  await publishAll(pub, [['ourhome/backlog/t0/level', 'after']]);
  await until(() => again.includes('after'), 'a new message');
  assert.deepEqual(again, ['after'], 'nothing of the backlog comes again');
});
