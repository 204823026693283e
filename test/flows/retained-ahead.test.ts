import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IPublishPacket } from 'mqtt-packet';
import { connect5, hubFor, portOf, publish5, RawClient, subscribe5, until, type V5Client } from '../helpers/mqtt5.js';

// The retained messages a SUBSCRIBE matches go out many per event-loop turn (server/mqtt/retained-ahead.ts); aedes
// alone took two turns for each. The hub runs in this process, so the turns are counted here: a callback that
// queues itself with setImmediate runs once per turn of the loop. The subscriber is a raw socket whose parser reads
// each chunk at once and answers nothing (MQTT.js takes turns of its own per packet).

const count = 2000;

/** Counts the turns of the event loop until stopped: a callback that queues itself with setImmediate runs once a turn. */
function turnCounter(): { stop(): number } {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    turns++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      on = false;
      return turns;
    },
  };
}

async function retainedSet(pub: V5Client, n = count, pad = ''): Promise<string[]> {
  const topics = Array.from({ length: n }, (_, i) => `kept/${Math.floor(i / 100)}/${i % 100}/state`);
  await Promise.all(topics.map((topic, i) => publish5(pub.client, topic, JSON.stringify({ i, pad }), { qos: 1, retain: true })));
  return topics;
}

/** A raw 3.1.1 subscriber (admin) and the PUBLISH packets it has received so far. */
async function rawSubscriber(t: TestContext, mqttUrl: string, clientId?: string): Promise<{ raw: RawClient; got: () => IPublishPacket[] }> {
  const { raw } = await RawClient.connect(t, portOf(mqttUrl), 4, clientId === undefined ? {} : { clientId });
  return { raw, got: () => raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish') };
}

function checkAll(got: IPublishPacket[], topics: string[], qos: number): void {
  assert.equal(got.length, topics.length, 'each retained message once');
  assert.deepEqual(new Set(got.map((p) => p.topic)), new Set(topics));
  for (const p of got) {
    assert.equal(p.retain, true, `${p.topic} with RETAIN set (sent at SUBSCRIBE)`);
    assert.equal(p.qos, qos, `${p.topic} at the subscription's QoS`);
    assert.equal(JSON.parse(p.payload.toString()).i, topics.indexOf(p.topic), `${p.topic}: its own payload`);
  }
  if (qos > 0) assert.equal(new Set(got.map((p) => p.messageId)).size, got.length, 'a packet identifier each');
}

for (const qos of [0, 1] as const) {
  test(`a SUBSCRIBE (QoS ${qos}) over ${count} retained messages gets them all, many per turn of the hub's event loop`, async (t) => {
    const hub = await hubFor(t);
    const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
    const topics = await retainedSet(pub);
    const { raw, got } = await rawSubscriber(t, hub.mqttUrl);
    const turns = turnCounter();
    let used = Infinity;
    // After the raw client's own listener: the chunk is parsed by then. Stopped at the last message's arrival, not
    // at the polling below (an idle loop turns ~100,000 times a second).
    raw.socket.on('data', () => {
      if (used === Infinity && got().length >= count) used = turns.stop();
    });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos }] });
    await until(() => got().length >= count, `${count} retained messages`);
    checkAll(got(), topics, qos);
    // aedes's own pace is two turns per message (a setImmediate to write it, another to call back): 4,000 and more.
    assert.ok(used < count / 2, `${used} turns of the event loop for ${count} retained messages`);
  });
}

test('a client with a Receive Maximum gets every retained message at its window\'s pace, and is not dropped', async (t) => {
  // The window holds what waits for a slot within mqtt.maxBufferedBytes (max(65,536, 2,048 + 64 KiB) here): the
  // 128 messages of ~1 KB that may go ahead of a client without a window would pass that and drop this one.
  const hub = await hubFor(t, { mqtt: { maxBufferedBytes: 65_536, maxPacketSize: 2048 } });
  const pub = await connect5(t, hub.mqttUrl);
  const topics = await retainedSet(pub, 400, 'x'.repeat(1000));
  const sub = await connect5(t, hub.mqttUrl, { properties: { receiveMaximum: 5 } });
  await subscribe5(sub.client, 'kept/#', { qos: 1 });
  await until(() => sub.messages.length >= topics.length || !sub.client.connected, `${topics.length} retained messages`);
  assert.ok(sub.client.connected, `dropped after ${sub.messages.length} retained messages`);
  checkAll(sub.messages, topics, 1);
});

test('a retained message replaced while a SUBSCRIBE\'s retained messages are on their way leaves the subscriber with the new one', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  const topics = await retainedSet(pub);
  const last = topics.at(-1)!;
  const { raw, got } = await rawSubscriber(t, hub.mqttUrl);
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 1 }] });
  // The new state of a topic sent late in the replay, published as the SUBSCRIBE goes out: it is routed live to the
  // subscriber (subscribed by then), and the copy of the old one must not come after it.
  await publish5(pub.client, last, JSON.stringify({ i: 'new' }), { qos: 1, retain: true });
  await until(() => got().filter((p) => p.topic === last).some((p) => p.payload.toString().includes('new')), 'the new state');
  await until(() => got().filter((p) => p.topic !== last).length >= count - 1, 'every other retained message');
  await publish5(pub.client, 'kept/marker', 'm', { qos: 1 });
  await until(() => got().some((p) => p.topic === 'kept/marker'), 'the marker');
  const states = got().filter((p) => p.topic === last).map((p) => p.payload.toString());
  assert.match(states.at(-1)!, /new/, `the subscriber's last ${last}: ${states.join(' then ')}`);
});

// Payloads of 2 KB: over the SQLite store's 1 KiB kept in memory, so the old copy is read from broker.db and the new
// one is there too once committed.
for (const [persistence, pad] of [['sqlite', ''], ['memory', ''], ['sqlite', 'x'.repeat(2000)]] as const) {
  test(`retained messages replaced while a SUBSCRIBE's copies wait for the client's Receive Maximum are not sent stale (${persistence}${pad ? ', large payloads' : ''})`, async (t) => {
    const hub = await hubFor(t, { mqtt: { persistence } });
    const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
    const n = 100;
    const topics = await retainedSet(pub, n, pad);
    // Receive Maximum 2 and no PUBACK yet: two copies go out, the store's stream has taken the next ones (up to 32
    // in Node's and aedes's stream buffers) and waits.
    const { raw } = await RawClient.connect(t, portOf(hub.mqttUrl), 5, { properties: { receiveMaximum: 2 } });
    const got = (): IPublishPacket[] => raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish');
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 1 }] });
    await until(() => got().length >= 2, 'the first two copies');
    await new Promise((r) => setTimeout(r, 100));
    // Every topic but the stream's last gets a new state: routed live to the subscriber, behind the two in flight.
    const last = topics.at(-1)!;
    await Promise.all(topics.slice(0, -1).map((topic) => publish5(pub.client, topic, JSON.stringify({ i: 'new', pad }), { qos: 1, retain: true })));
    const acked = new Set<IPublishPacket>();
    // The last topic's copy is the stream's last message: every copy taken before it has been sent or skipped by then.
    await until(() => {
      for (const p of got()) if (!acked.has(p)) (acked.add(p), raw.send({ cmd: 'puback', messageId: p.messageId }));
      return got().some((p) => p.topic === last);
    }, 'the last retained copy');
    const stale = topics.slice(0, -1).filter((topic) => !got().filter((p) => p.topic === topic).at(-1)?.payload.toString().includes('new'));
    for (const topic of stale) t.diagnostic(topic + ': ' + got().filter((p) => p.topic === topic).map((p) => `${p.payload.toString().slice(0, 20)} r${Number(p.retain)} id${p.messageId}`).join(' | '));
    assert.deepEqual(stale, [], 'topics whose last message was the old state, after the new one');
    assert.ok(got().filter((p) => p.topic !== last).length >= n - 1, 'every new state arrived');
  });
}

test('retained messages replaced while a SUBSCRIBE\'s copies wait for a subscriber that stopped reading are not sent stale', async (t) => {
  // ~5 MB of retained messages (payloads small enough to stay in memory) fill the kernel's buffers of a subscriber
  // that does not read; the hub then waits for 'drain' with the store's stream holding the next copies.
  const hub = await hubFor(t, { mqtt: { maxBufferedBytes: 16 * 1024 * 1024 } });
  const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  const n = 5000;
  const topics = await retainedSet(pub, n, 'x'.repeat(1000));
  const { raw, got } = await rawSubscriber(t, hub.mqttUrl, 'paused');
  raw.socket.pause();
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 0 }] });
  const conn = ((hub.hub.broker.aedes as unknown as { clients: unknown }).clients as Record<string, { conn: { writableNeedDrain: boolean } }>).paused!.conn;
  await until(() => conn.writableNeedDrain, 'the subscriber\'s socket full');
  const last = topics.at(-1)!;
  await Promise.all(topics.slice(0, -1).map((topic) => publish5(pub.client, topic, JSON.stringify({ i: 'new' }), { qos: 1, retain: true })));
  raw.socket.resume();
  await until(() => got().some((p) => p.topic === last && p.retain) || raw.isClosed, 'the last retained copy', 30_000);
  const lastOf = new Map<string, IPublishPacket>();
  for (const p of got()) lastOf.set(p.topic, p);
  const stale = topics.slice(0, -1).filter((topic) => !lastOf.get(topic)?.payload.toString().includes('new'));
  assert.deepEqual(stale, [], 'topics whose last message was the old state');
});

test('two SUBSCRIBEs at once each get all their retained messages', async (t) => {
  const hub = await hubFor(t);
  const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  const topics = await retainedSet(pub);
  const { raw, got } = await rawSubscriber(t, hub.mqttUrl);
  // Two packets, so two streams of retained messages run side by side; together well past what may go ahead.
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/+/+/state', qos: 1 }] });
  raw.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'kept/#', qos: 1 }] });
  await until(() => got().length >= 2 * count, `${2 * count} retained messages`);
  const times = new Map<string, number>();
  for (const p of got()) times.set(p.topic, (times.get(p.topic) ?? 0) + 1);
  assert.deepEqual([...times.keys()].sort(), [...topics].sort());
  assert.ok([...times.values()].every((n) => n === 2), 'each retained message once per SUBSCRIBE');
});

test('a subscriber that stops reading is sent its retained messages at its pace, not dropped for their size', async (t) => {
  // 3,000 messages of ~2 KB: more than the kernel's socket buffers hold on loopback (~4 MB) plus mqtt.maxBufferedBytes
  // (the minimum, 65,536 + 64 KiB here). Past that the slow-reader guard drops a client; for retained messages at
  // SUBSCRIBE the hub waits for the socket to drain instead.
  const hub = await hubFor(t, { mqtt: { maxBufferedBytes: 65_536, maxPacketSize: 4096 } });
  const pub = await connect5(t, hub.mqttUrl, { protocolVersion: 4 });
  const n = 3000;
  const topics = await retainedSet(pub, n, 'x'.repeat(2000));
  const { raw, got } = await rawSubscriber(t, hub.mqttUrl);
  raw.socket.pause();
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 0 }] });
  // Long enough for the hub to fill every buffer on the way, had it not waited.
  await new Promise((r) => setTimeout(r, 1500));
  raw.socket.resume();
  await until(() => got().length >= n || raw.isClosed, `${n} retained messages`, 30_000);
  assert.equal(raw.isClosed, false, `dropped after ${got().length} retained messages`);
  checkAll(got(), topics, 0);
  assert.equal(hub.hub.broker.counters.slowReadersDropped, 0);
});
