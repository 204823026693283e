import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { connect, deviceAccount, end, startHub, subscribe, tempDir } from '../helpers/hub.js';
import { admin, kill, mqttUrlOf, withHub } from '../helpers/crash.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Retained QoS 1 publishes of one client in flight together share broker.db transactions, written as multi-row
// statements (server/mqtt/persistence/sql-script.ts); each PUBACK still follows the commit of its row
// (server/mqtt/durable-publish.ts). These cases send many at once, as a device or a bridge replaying its states does.

/** Every retained message the broker serves for `filter` to a new subscriber: topic → payload (hex, exact bytes). */
async function retainedOf(url: string, filter: string, clientId: string): Promise<Map<string, string>> {
  const sub = await connect(url, { ...admin, clientId });
  try {
    const got = new Map<string, string>();
    sub.on('message', (topic, payload, packet) => {
      if (packet.retain) got.set(topic, payload.toString('hex'));
    });
    await subscribe(sub, filter);
    // The retained messages are sent right after the SUBACK; wait until none has come for a while (bounded).
    let seen = -1;
    for (let i = 0; i < 50 && seen !== got.size; i++) {
      seen = got.size;
      await new Promise((r) => setTimeout(r, 100));
    }
    return got;
  } finally {
    await end(sub);
  }
}

/** Publishes all at once (MQTT.js writes them without waiting for PUBACKs); resolves with the topics acknowledged, in order. */
function publishAll(client: MqttClient, messages: Array<[string, Buffer]>, onLastAck?: () => void): Promise<{ acked: number[]; failed: number }> {
  return new Promise((resolve) => {
    const acked: number[] = [];
    let settled = 0;
    let failed = 0;
    const done = (): void => {
      if (++settled === messages.length) resolve({ acked, failed });
    };
    client.once('close', () => resolve({ acked, failed: messages.length - acked.length }));
    messages.forEach(([topic, payload], i) =>
      client.publish(topic, payload, { qos: 1, retain: true }, (err) => {
        if (err) failed++;
        else acked.push(i);
        if (acked.length === messages.length) onLastAck?.();
        done();
      }),
    );
  });
}

test('retained QoS 1 updates in flight together: after a kill -9 right after the last PUBACK, every topic holds its last write', async (t) => {
  const { start } = await withHub(t);
  const hub = await start();
  const pub = await connect(mqttUrlOf(hub), { ...admin, clientId: 'batched-retained' });
  t.after(() => end(pub));
  // 8 rounds over 40 topics, 321 publishes in flight at once: a transaction holds several writes of one topic.
  // One topic name carries a quote (written into the SQL script as a literal); payloads carry NUL and quote bytes.
  const topics = Array.from({ length: 40 }, (_, k) => (k === 7 ? `ourhome/batch/it's/t${k}` : `ourhome/batch/t${k}/state`));
  const value = (k: number, round: number): Buffer => Buffer.from(`{"k":${k},"round":${round}}\u0000'`);
  const messages: Array<[string, Buffer]> = [];
  for (let round = 0; round < 8; round++) {
    // t1 is deleted in round 1 [MQTT-3.3.1-10] and set again after.
    for (let k = 0; k < topics.length; k++) messages.push([topics[k]!, k === 1 && round === 1 ? Buffer.alloc(0) : value(k, round)]);
  }
  messages.push([topics[0]!, Buffer.alloc(0)]); // t0's last write deletes it
  let killed: Promise<void> | undefined;
  const { acked } = await publishAll(pub, messages, () => (killed = kill(hub)));
  assert.equal(acked.length, messages.length, 'every publish was acknowledged before the kill');
  await killed;

  const again = await start();
  const got = await retainedOf(mqttUrlOf(again), 'ourhome/batch/#', 'batched-check');
  const expected = new Map(topics.slice(1).map((topic, i) => [topic, value(i + 1, 7).toString('hex')]));
  assert.deepEqual(got, expected, 'each topic holds its last retained write; the deleted one is gone');
});

test('a transaction that fails while many retained publishes are in flight acknowledges none of them; every acknowledged one is stored', async (t) => {
  const dataDir = tempDir();
  removeWhenDone(dataDir);
  // broker.db capped at 40 pages (160 KiB): 200 payloads of 3,000 bytes, sent at once, fill it partway through.
  const hub = await startHub({}, { dataDir, brokerStoreMaxPages: 40 });
  let stopped = false;
  t.after(() => (stopped ? undefined : hub.stop()));
  const creds = await deviceAccount(hub);
  const pub = await connect(hub.mqttUrl, { ...creds, clientId: 'batched-full' });
  const topic = (i: number): string => `ourhome/full/r${i}/blob`;
  const messages: Array<[string, Buffer]> = Array.from({ length: 200 }, (_, i) => [topic(i), Buffer.alloc(3000, 0x41 + (i % 26))]);
  const { acked, failed } = await publishAll(pub, messages);
  await end(pub);
  assert.ok(acked.length > 0, 'some fitted');
  assert.ok(failed > 0, 'some did not fit, and were not acknowledged');
  // PUBACKs go out in the order the PUBLISHes came [MQTT-4.6.0-2]: what was acknowledged is a prefix.
  assert.deepEqual(acked, acked.map((_, i) => i));
  await hub.stop();
  stopped = true;

  // The same data folder without the cap: the broker serves exactly what was acknowledged.
  const again = await startHub({}, { dataDir });
  t.after(() => again.stop());
  const got = await retainedOf(again.mqttUrl, 'ourhome/full/#', 'full-check');
  for (const i of acked) assert.equal(got.get(topic(i)), messages[i]![1].toString('hex'), `acknowledged ${topic(i)} is stored`);
});
