import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { connect5, hubFor, portOf, publish5, RawClient, until, type V5Client } from '../helpers/mqtt5.js';

// The outbound Receive Maximum of MQTT 5 (§4.9, server/mqtt/outbound-window.ts): the QoS 1/2 messages the hub has in
// flight to a client never exceed the Receive Maximum of its CONNECT; the rest wait, in order, for acknowledgements.
// The subscriber is a raw socket (mqtt-packet), so that it acknowledges exactly when the test says.

function publishes(raw: RawClient): IPublishPacket[] {
  return raw.packets.filter((p: Packet): p is IPublishPacket => p.cmd === 'publish');
}
/** The QoS 1/2 PUBLISH received, in order. */
function held(raw: RawClient): IPublishPacket[] {
  return publishes(raw).filter((p) => p.qos > 0);
}
const text = (p: IPublishPacket): string => p.payload.toString();

/**
 * Publishes a QoS 0 marker on `topic` and waits until `raw` has it. Everything `pub` published before was routed to
 * `raw` before the marker: a QoS 1 message the hub held is held by then, one it sent is already received.
 */
async function marker(pub: V5Client, raw: RawClient, topic: string): Promise<void> {
  const m = `marker-${Math.random().toString(36).slice(2)}`;
  await publish5(pub.client, topic, m, { qos: 0 });
  await until(() => publishes(raw).some((p) => text(p) === m), `marker ${m}`);
}

async function rawSubscriber(t: TestContext, url: string, receiveMaximum: number, filter: string, qos: 0 | 1 | 2, connect: object = {}): Promise<RawClient> {
  const { raw, connack } = await RawClient.connect(t, portOf(url), 5, { properties: { receiveMaximum }, ...connect });
  assert.equal(connack.reasonCode, 0);
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] });
  await raw.next('suback');
  return raw;
}

test('Paho test_flow_control1: with Receive Maximum 2 the hub sends two QoS 1 messages and holds the third until the client acknowledges one', async (t) => {
  const hub = await hubFor(t);
  const raw = await rawSubscriber(t, hub.mqttUrl, 2, 'flow/#', 1);
  const pub = await connect5(t, hub.mqttUrl);
  for (const v of ['m1', 'm2', 'm3']) await publish5(pub.client, 'flow/a', v, { qos: 1 });
  await marker(pub, raw, 'flow/marker');
  assert.deepEqual(held(raw).map(text), ['m1', 'm2'], 'two in flight; the third waits');

  raw.send({ cmd: 'puback', messageId: held(raw)[0]!.messageId! });
  await until(() => held(raw).length === 3, 'the third message after one PUBACK');
  assert.equal(text(held(raw)[2]!), 'm3');
  await publish5(pub.client, 'flow/a', 'm4', { qos: 1 });
  await marker(pub, raw, 'flow/marker');
  assert.equal(held(raw).length, 3, 'm2 and m3 in flight: m4 waits');

  // Acknowledged out of order: whichever slot frees, the next waiting message takes it.
  raw.send({ cmd: 'puback', messageId: held(raw)[2]!.messageId! });
  await until(() => held(raw).length === 4, 'm4 after m3 was acknowledged');
  assert.deepEqual(held(raw).map(text), ['m1', 'm2', 'm3', 'm4']);
  assert.equal(new Set(held(raw).map((p) => p.messageId)).size, 4, 'each message has its own packet identifier');
});

test('QoS 2: a PUBREC keeps the message in flight until its PUBCOMP; a PUBREC with a failure reason code frees it at once', async (t) => {
  const hub = await hubFor(t);
  const raw = await rawSubscriber(t, hub.mqttUrl, 1, 'flow2/#', 2);
  const pub = await connect5(t, hub.mqttUrl);
  for (const v of ['q1', 'q2', 'q3']) await publish5(pub.client, 'flow2/a', v, { qos: 2 });
  await marker(pub, raw, 'flow2/marker');
  assert.deepEqual(held(raw).map(text), ['q1']);

  const first = held(raw)[0]!.messageId!;
  raw.send({ cmd: 'pubrec', messageId: first });
  await raw.next('pubrel');
  await marker(pub, raw, 'flow2/marker');
  assert.deepEqual(held(raw).map(text), ['q1'], 'after PUBREC the message is still in flight');

  raw.send({ cmd: 'pubcomp', messageId: first });
  await until(() => held(raw).length === 2, 'q2 after the PUBCOMP of q1');
  assert.equal(text(held(raw)[1]!), 'q2');

  // [MQTT-4.9] A PUBREC with a reason code of 0x80 or more ends the flow: no PUBREL, and the slot is free.
  const second = held(raw)[1]!.messageId!;
  raw.send({ cmd: 'pubrec', messageId: second, reasonCode: 0x80 } as Packet);
  await until(() => held(raw).length === 3, 'q3 after the refused PUBREC of q2');
  assert.equal(text(held(raw)[2]!), 'q3');
  assert.deepEqual(raw.packets.filter((p) => p.cmd === 'pubrel').map((p) => (p as { messageId?: number }).messageId), [first], 'no PUBREL for the refused message');
});

test('a client that never acknowledges holds none of the router\'s delivery slots: everyone else gets every message', async (t) => {
  // More messages than mqemitter's 1000 delivery slots (Broker.create concurrency): had a waiting message kept its
  // slot, the router would stop for every client after the first thousand.
  const hub = await hubFor(t);
  const raw = await rawSubscriber(t, hub.mqttUrl, 1, 'busy/#', 1);
  const other = await connect5(t, hub.mqttUrl);
  await new Promise<void>((resolve, reject) => other.client.subscribe('busy/#', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  const pub = await connect5(t, hub.mqttUrl);
  const n = 1500;
  await Promise.all(Array.from({ length: n }, (_, i) => publish5(pub.client, 'busy/counter', String(i), { qos: 1 })));
  await until(() => other.messages.filter((m) => m.topic === 'busy/counter').length === n, `all ${n} messages at the other subscriber`, 30_000);
  assert.deepEqual(other.messages.filter((m) => m.topic === 'busy/counter').map((m) => m.payload.toString()), Array.from({ length: n }, (_, i) => String(i)));
  await marker(pub, raw, 'busy/marker');
  assert.deepEqual(held(raw).map(text), ['0'], 'the silent client got one message: its Receive Maximum');
  assert.equal(raw.isClosed, false, 'what waits for it fits in mqtt.maxBufferedBytes: still connected');
});

test('past mqtt.maxBufferedBytes waiting for a client\'s acknowledgements, the client is dropped like a slow reader; others are not affected', async (t) => {
  // The bound is max(maxBufferedBytes, maxPacketSize + 64 KiB) = 67,584 bytes (Broker.handle).
  const hub = await hubFor(t, { mqtt: { maxBufferedBytes: 65_536, maxPacketSize: 2048 } });
  const raw = await rawSubscriber(t, hub.mqttUrl, 1, 'big/#', 1);
  const other = await connect5(t, hub.mqttUrl);
  await new Promise<void>((resolve, reject) => other.client.subscribe('big/#', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  const before = hub.hub.broker.counters.slowReadersDropped;
  const pub = await connect5(t, hub.mqttUrl);
  const n = 100; // 100 × ~1 KB waiting behind a Receive Maximum of 1
  await Promise.all(Array.from({ length: n }, (_, i) => publish5(pub.client, 'big/blob', Buffer.alloc(1000, i % 256), { qos: 1 })));
  await raw.closed;
  assert.equal(hub.hub.broker.counters.slowReadersDropped, before + 1);
  assert.ok(held(raw).length < n, 'it was not sent everything');
  await until(() => other.messages.filter((m) => m.topic === 'big/blob').length === n, `all ${n} messages at the other subscriber`);
});

for (const persistence of ['sqlite', 'memory'] as const) {
  test(`a queued session at reconnect (${persistence} store) is sent within the Receive Maximum, in order, as the client acknowledges`, async (t) => {
    const hub = await hubFor(t, { mqtt: { persistence } });
    const session = { clientId: 'flow-sleeper', clean: false, properties: { receiveMaximum: 2, sessionExpiryInterval: 300 } };
    const first = await rawSubscriber(t, hub.mqttUrl, 2, 'sleep/#', 1, session);
    first.send({ cmd: 'disconnect' } as Packet);
    await first.closed;
    const pub = await connect5(t, hub.mqttUrl);
    const sent = ['s1', 's2', 's3', 's4', 's5'];
    for (const v of sent) await publish5(pub.client, 'sleep/a', v, { qos: 1 });

    const { raw, connack } = await RawClient.connect(t, portOf(hub.mqttUrl), 5, session);
    assert.equal(connack.sessionPresent, true);
    await until(() => held(raw).length >= 2, 'the first two queued messages');
    // A live QoS 0 message gets through meanwhile (the restored subscription); the queue still waits for PUBACKs.
    await marker(pub, raw, 'sleep/marker');
    assert.deepEqual(held(raw).map(text), ['s1', 's2']);
    for (let got = 2; got < sent.length; got++) {
      raw.send({ cmd: 'puback', messageId: held(raw)[got - 2]!.messageId! });
      await until(() => held(raw).length === got + 1, `queued message ${got + 1}`);
      await marker(pub, raw, 'sleep/marker');
      assert.equal(held(raw).length, got + 1, 'one more per PUBACK, never more than two unacknowledged');
    }
    assert.deepEqual(held(raw).map(text), sent);
  });
}

test('with topic aliases, a QoS 0 message sent by alias alone never arrives before the held message that defines the alias', async (t) => {
  const hub = await hubFor(t);
  const raw = await rawSubscriber(t, hub.mqttUrl, 1, 'al/#', 1, { properties: { receiveMaximum: 1, topicAliasMaximum: 5 } });
  const pub = await connect5(t, hub.mqttUrl);
  await publish5(pub.client, 'al/a', 'a1', { qos: 1 }); // sent: in flight
  await publish5(pub.client, 'al/b', 'b1', { qos: 1 }); // held: the first on al/b, it defines al/b's alias
  await publish5(pub.client, 'al/b', 'b2', { qos: 0 }); // by alias alone: must wait behind b1
  await marker(pub, raw, 'al/marker1');
  assert.deepEqual(publishes(raw).map(text).filter((v) => !v.startsWith('marker')), ['a1']);
  raw.send({ cmd: 'puback', messageId: held(raw)[0]!.messageId! });
  await until(() => publishes(raw).some((p) => text(p) === 'b2'), 'b2');
  // The wire, in order: every alias is given its topic before a message uses it alone.
  const known = new Map<number, string>();
  for (const p of publishes(raw)) {
    const alias = p.properties?.topicAlias;
    if (p.topic !== '' && alias !== undefined) known.set(alias, p.topic);
    if (p.topic === '') assert.ok(alias !== undefined && known.has(alias), `alias ${alias} used before it was defined (${text(p)})`);
  }
  const rest = publishes(raw).map(text).filter((v) => !v.startsWith('marker'));
  assert.deepEqual(rest, ['a1', 'b1', 'b2']);
});

test('retained messages sent at SUBSCRIBE go at the client\'s pace: more of them than mqtt.maxBufferedBytes does not drop it', async (t) => {
  // The bound is max(maxBufferedBytes, maxPacketSize + 64 KiB) = 67,584 bytes; 60 retained messages of ~1.5 KB exceed it.
  const hub = await hubFor(t, { mqtt: { maxBufferedBytes: 65_536, maxPacketSize: 2048 } });
  const pub = await connect5(t, hub.mqttUrl);
  const n = 60;
  for (let i = 0; i < n; i++) await publish5(pub.client, `kept/${String(i).padStart(2, '0')}`, Buffer.alloc(1500, i), { qos: 1, retain: true });
  const raw = await rawSubscriber(t, hub.mqttUrl, 2, 'kept/#', 1);
  for (let k = 0; k < n; k++) {
    await until(() => held(raw).length > k || raw.isClosed, `retained message ${k + 1}`);
    assert.equal(raw.isClosed, false, `dropped after ${held(raw).length} retained messages`);
    raw.send({ cmd: 'puback', messageId: held(raw)[k]!.messageId! });
  }
  assert.equal(new Set(held(raw).map((p) => p.topic)).size, n, 'every retained message, once');
  assert.ok(held(raw).every((p) => p.retain), 'with RETAIN set (sent at SUBSCRIBE)');
  assert.equal(raw.isClosed, false);
});
