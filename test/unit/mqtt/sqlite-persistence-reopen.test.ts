// What is written survives destroy() + a new persistence on the same file: the point of issue 3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Readable } from 'node:stream';
import { openPersistence, tempDir } from './persistence-fixtures.js';

const list = async <T>(stream: Readable): Promise<T[]> => (await stream.toArray()) as T[];
const retained = (topic: string, payload: string, extra: Record<string, unknown> = {}) => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  retain: true,
  brokerId: 'broker-test',
  brokerCounter: 1,
  ...extra,
});

test('retained messages survive a reopen, an emptied one stays deleted', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  await first.storeRetained(retained('home/kitchen/lamp/state', 'on'));
  await first.storeRetained(retained('home/hall/lamp/state', 'off'));
  await first.storeRetained(retained('home/hall/lamp/state', 'on')); // replaces [MQTT-3.3.1-5]
  await first.storeRetained(retained('home/garage/door/state', 'open'));
  await first.storeRetained(retained('home/garage/door/state', '')); // removes [MQTT-3.3.1-10]
  await first.storeRetained(retained('$SYS/hub/version', '1.0'));
  // MQTT 5 properties with a Buffer inside, and a string payload, must round-trip as they were.
  await first.storeRetained(
    retained('home/kitchen/sensor', '21.5', {
      properties: { contentType: 'text/plain', correlationData: Buffer.from([1, 2, 3]), userProperties: { unit: 'C' } },
    }),
  );
  await first.storeRetained({ cmd: 'publish', topic: 'home/note', payload: 'a string payload', qos: 0, retain: true });
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  const all = await list<Record<string, unknown>>(second.createRetainedStream('#'));
  assert.deepEqual(all.map((p) => p.topic).sort(), ['home/hall/lamp/state', 'home/kitchen/lamp/state', 'home/kitchen/sensor', 'home/note']);
  const [hall] = await list<Record<string, unknown>>(second.createRetainedStream('home/hall/+/state'));
  assert.deepEqual(hall, retained('home/hall/lamp/state', 'on'));
  const [sensor] = await list<Record<string, unknown>>(second.createRetainedStream('home/kitchen/sensor'));
  assert.deepEqual((sensor?.properties as Record<string, unknown>).correlationData, Buffer.from([1, 2, 3]));
  const [note] = await list<Record<string, unknown>>(second.createRetainedStream('home/note'));
  assert.equal(note?.payload, 'a string payload');
  assert.deepEqual(await list(second.createRetainedStream('home/garage/#')), [], 'the emptied topic stays deleted');
  const sys = await list<Record<string, unknown>>(second.createRetainedStreamCombi(['$SYS/#']));
  assert.deepEqual(sys.map((p) => p.topic), ['$SYS/hub/version']);
});

test('subscriptions, with QoS, MQTT 5 options and subscription identifiers, survive a reopen', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const lamp = { id: 'lamp-1' };
  const panel = { id: 'panel' };
  await first.addSubscriptions(lamp, [
    { topic: 'home/lamp-1/set', qos: 1, rh: 0, rap: false, nl: true },
    { topic: 'home/all/#', qos: 0, rh: 0, rap: false, nl: false },
  ]);
  await first.addSubscriptions(panel, [
    { topic: 'home/+/state', qos: 2, rh: 1, rap: true, nl: false, subscriptionIdentifier: 7 },
    { topic: 'home/old', qos: 1 },
  ]);
  await first.removeSubscriptions(panel, ['home/old']);
  await first.addSubscriptions({ id: 'gone' }, [{ topic: 'x', qos: 1 }]);
  await first.cleanSubscriptions({ id: 'gone' });
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  assert.deepEqual(await second.subscriptionsByClient(lamp), [
    { topic: 'home/lamp-1/set', qos: 1, rh: 0, rap: false, nl: true },
    { topic: 'home/all/#', qos: 0, rh: 0, rap: false, nl: false },
  ]);
  assert.deepEqual(await second.subscriptionsByClient(panel), [
    { topic: 'home/+/state', qos: 2, rh: 1, rap: true, nl: false, subscriptionIdentifier: 7 },
  ]);
  assert.deepEqual(await second.subscriptionsByClient({ id: 'gone' }), []);
  assert.deepEqual(await second.subscriptionsByTopic('home/lamp-1/set'), [
    { clientId: 'lamp-1', topic: 'home/lamp-1/set', qos: 1, rh: 0, rap: false, nl: true },
  ]);
  // QoS 0 subscriptions are restored but never matched for queueing [MQTT-3.1.2-5].
  assert.deepEqual(await second.subscriptionsByTopic('home/all/x'), []);
  assert.deepEqual(await second.countOffline(), { subsCount: 2, clientsCount: 2 });
  assert.deepEqual(await second.getClientList('home/+/state').toArray(), ['panel']);
});

test('outgoing queues keep order, assigned messageIds and PUBRELs across a reopen', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const client = { id: 'sensor-7' };
  const publish = (counter: number, payload: string, qos = 1) => ({
    cmd: 'publish',
    topic: 'home/sensor-7/set',
    payload: Buffer.from(payload),
    qos,
    retain: false,
    dup: false,
    brokerId: 'broker-test',
    brokerCounter: counter,
  });
  await first.outgoingEnqueueCombi([{ clientId: client.id }, { clientId: 'other' }], publish(1, 'one'));
  await first.outgoingEnqueue({ clientId: client.id }, publish(2, 'two', 2));
  await first.outgoingEnqueue({ clientId: client.id }, publish(3, 'three'));
  await first.outgoingUpdate(client, { ...publish(1, 'one'), messageId: 11 });
  await first.outgoingUpdate(client, { ...publish(2, 'two', 2), messageId: 12 });
  await first.outgoingUpdate(client, { cmd: 'pubrel', messageId: 12 }); // after PUBREC [MQTT-4.3.3-1]
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  const queue = await list<Record<string, unknown>>(second.outgoingStream(client));
  assert.deepEqual(
    queue.map((p) => [p.cmd, p.messageId, p.payload && String(p.payload)]),
    [
      ['publish', 11, 'one'],
      ['pubrel', 12, undefined],
      ['publish', undefined, 'three'],
    ],
  );
  assert.ok('messageId' in queue[2]!, 'an unassigned messageId is present and undefined, as aedes-packet makes it');
  assert.equal((await list(second.outgoingStream({ id: 'other' }))).length, 1);
  // The reloaded queue keeps working: acknowledge the first and the PUBREL.
  const cleared = await second.outgoingClearMessageId(client, { messageId: 11 });
  assert.equal(String(cleared?.payload), 'one');
  await second.outgoingClearMessageId(client, { messageId: 12 });
  await second.outgoingUpdate(client, { ...publish(3, 'three'), messageId: 13 });
  await second.destroy();

  const third = await openPersistence(dir.file);
  t.after(() => third.destroy());
  const left = await list<Record<string, unknown>>(third.outgoingStream(client));
  assert.deepEqual(left.map((p) => [p.messageId, String(p.payload)]), [[13, 'three']]);
});

test('wills and incoming QoS 2 packets survive a reopen', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const client = { id: 'door-3' };
  await first.putWill(client, { cmd: 'publish', topic: 'home/door-3/availability', payload: Buffer.from('offline'), qos: 1, retain: true });
  await first.putWill({ id: 'left' }, { cmd: 'publish', topic: 'x', payload: Buffer.from('y'), qos: 0, retain: false });
  await first.delWill({ id: 'left' });
  await first.incomingStorePacket(client, { cmd: 'publish', topic: 'home/door-3/state', payload: Buffer.from('open'), qos: 2, retain: false, dup: false, messageId: 42 });
  await first.incomingStorePacket(client, { cmd: 'publish', topic: 'home/door-3/state', payload: Buffer.from('shut'), qos: 2, retain: false, dup: false, messageId: 43 });
  await first.incomingDelPacket(client, { messageId: 43 });
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  const will = await second.getWill(client);
  assert.equal(will?.topic, 'home/door-3/availability');
  assert.equal(String(will?.payload), 'offline');
  assert.equal(will?.clientId, 'door-3');
  assert.equal(will?.brokerId, 'broker-test');
  assert.equal(await second.getWill({ id: 'left' }), undefined);
  // After a restart the old broker id is not alive: aedes streams its wills to publish them.
  const dead = await list<Record<string, unknown>>(second.streamWill({ 'broker-new': Date.now() }));
  assert.deepEqual(dead.map((w) => w.clientId), ['door-3']);
  const incoming = await second.incomingGetPacket(client, { messageId: 42 });
  assert.equal(String(incoming.payload), 'open');
  assert.equal(incoming.messageId, 42);
  await assert.rejects(second.incomingGetPacket(client, { messageId: 43 }), /no such packet/);
  await second.cleanIncoming(client);
  await second.destroy();

  const third = await openPersistence(dir.file);
  t.after(() => third.destroy());
  await assert.rejects(third.incomingGetPacket(client, { messageId: 42 }), /no such packet/, 'cleanIncoming is durable too');
});

test('cleanIncoming: a QoS 2 message still being stored is wiped all the same; with none held, nothing is written', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const client = { id: 'door-4' };
  const packet = { cmd: 'publish', topic: 'home/door-4/state', payload: Buffer.from('open'), qos: 2, retain: false, dup: false, messageId: 7 } as const;
  // Asked in the same turn as the store, before it is written (a clean session's CONNACK right after a takeover):
  // memory holds nothing yet, but the store is on its way, and the wipe must come after it.
  const stored = first.incomingStorePacket(client, packet);
  const cleaned = first.cleanIncoming(client);
  await Promise.all([stored, cleaned]);
  await assert.rejects(first.incomingGetPacket(client, { messageId: 7 }), /no such packet/);
  const before = first.stats.statements;
  await first.cleanIncoming(client);
  await first.cleanIncoming({ id: 'never-seen' });
  assert.equal(first.stats.statements, before, 'nothing held: nothing to write');
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  await assert.rejects(second.incomingGetPacket(client, { messageId: 7 }), /no such packet/, 'the wipe reached the file');
});
