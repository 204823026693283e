// Retained payloads over 1 KiB are read from broker.db when a subscription matches them (retained-store.ts, issue 15
// item 7): what a SUBSCRIBE gets is the same as when everything was in memory — content, MQTT 5 properties, order,
// a message stored but not yet committed, a delete — before and after a reopen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inlineBytes } from '../../../server/mqtt/persistence/retained-store.js';
import { openPersistence, tempDir } from './persistence-fixtures.js';

type Packet = { topic: string; payload: Buffer; properties?: Record<string, unknown> };
const retained = (topic: string, payload: Buffer, properties?: Record<string, unknown>) => ({ cmd: 'publish', topic, payload, qos: 1, retain: true, ...(properties ? { properties } : {}) });
const big = (fill: number) => Buffer.alloc(inlineBytes * 8, fill);

test('large retained payloads come back from the file, in order, with their properties, across a reopen', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.remove());
  const first = await openPersistence(dir.file);
  await first.storeRetained(retained('home/a/camera', big(0x61), { contentType: 'image/jpeg', userProperties: { room: 'hall' } }));
  await first.storeRetained(retained('home/a/state', Buffer.from('{"on":true}')));
  await first.storeRetained(retained('home/b/camera', big(0x62)));
  const read = async (p: typeof first, filters: string[]) => (await p.createRetainedStreamCombi(filters).toArray()) as Packet[];
  const before = await read(first, ['home/+/camera', 'home/a/#']);
  assert.deepEqual(before.map((p) => p.topic), ['home/a/camera', 'home/b/camera', 'home/a/camera', 'home/a/state'], 'each filter in turn [MQTT-3.8.4-4]');
  assert.ok(before[0]!.payload.equals(big(0x61)));
  assert.deepEqual(before[0]!.properties, { contentType: 'image/jpeg', userProperties: { room: 'hall' } });

  // A SUBSCRIBE while a replacement is being written gets the old message or the new one, whole, never none.
  const write = first.storeRetained(retained('home/b/camera', big(0x63)));
  const during = await read(first, ['home/b/camera']);
  await write;
  assert.equal(during.length, 1);
  assert.ok(during[0]!.payload.equals(big(0x62)) || during[0]!.payload.equals(big(0x63)));
  assert.ok((await read(first, ['home/b/camera']))[0]!.payload.equals(big(0x63)), 'once committed, the new one');
  await first.storeRetained(retained('home/a/camera', Buffer.alloc(0))); // a delete [MQTT-3.3.1-10]
  await first.destroy();

  const second = await openPersistence(dir.file);
  t.after(() => second.destroy());
  const after = await read(second, ['#']);
  assert.deepEqual(after.map((p) => p.topic).sort(), ['home/a/state', 'home/b/camera']);
  assert.ok(after.find((p) => p.topic === 'home/b/camera')!.payload.equals(big(0x63)));
  assert.equal(after.find((p) => p.topic === 'home/a/state')!.payload.toString(), '{"on":true}');
});
