// The bound of a session's queue (outgoing-store.ts, issue 15 item 7): past mqtt.maxQueuedPerSession messages or
// maxQueuedBytesPerSession bytes the oldest PUBLISH is dropped (never a PUBREL), reported, and gone from the file too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPersistence, tempDir } from './persistence-fixtures.js';

let counter = 0;
const queued = (payload: string) => ({ cmd: 'publish', topic: 'home/lamp/set', payload: Buffer.from(payload), qos: 1, retain: false, brokerId: 'broker-test', brokerCounter: ++counter });
const payloads = async (p: Awaited<ReturnType<typeof openPersistence>>, id: string) =>
  ((await p.outgoingStream({ id }).toArray()) as Array<{ cmd: string; payload?: Buffer }>).map((e) => (e.cmd === 'pubrel' ? 'PUBREL' : e.payload!.toString()));

test('a queue over its message or byte bound drops its oldest PUBLISH, never a PUBREL, and the file agrees', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  const dropped: Array<[string, number, number]> = [];
  first.limitQueues({ messages: 3, bytes: 1_000 }, (clientId, messages, bytes) => dropped.push([clientId, messages, bytes]));
  // A QoS 2 message sent and received (PUBREC): its entry becomes a PUBREL, which finishes the exchange.
  const inFlight = queued('q2');
  await first.outgoingEnqueueCombi([{ clientId: 'lamp' }], inFlight);
  await first.outgoingUpdate({ id: 'lamp' }, { ...inFlight, messageId: 7 });
  await first.outgoingUpdate({ id: 'lamp' }, { cmd: 'pubrel', messageId: 7 });
  for (const n of [1, 2, 3]) await first.outgoingEnqueueCombi([{ clientId: 'lamp' }, { clientId: 'other' }], queued(`m${n}`));
  assert.deepEqual(await payloads(first, 'lamp'), ['PUBREL', 'm2', 'm3']);
  assert.deepEqual(await payloads(first, 'other'), ['m1', 'm2', 'm3'], 'each session has its own bound');
  assert.deepEqual(dropped, [['lamp', 1, 'home/lamp/set'.length + 2]]);
  // Bytes: one large message pushes the older ones out.
  await first.outgoingEnqueueCombi([{ clientId: 'other' }], queued('x'.repeat(980)));
  assert.deepEqual((await payloads(first, 'other')).map((p) => p.slice(0, 2)), ['xx']);
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  assert.deepEqual(await payloads(second, 'lamp'), ['PUBREL', 'm2', 'm3'], 'what was dropped is gone from broker.db');
  assert.equal((await payloads(second, 'other')).length, 1);
});
