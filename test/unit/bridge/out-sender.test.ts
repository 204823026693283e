import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { Database } from '../../../server/store/database.js';
import { migrate } from '../../../server/store/migrations.js';
import { OutQueue } from '../../../server/bridge/out-queue.js';
import { OutSender } from '../../../server/bridge/out-sender.js';
import { OutSession } from '../../../server/bridge/out-session.js';
import { QueueStore, type QueuedMessage } from '../../../server/bridge/queue-store.js';
import { silentLog, tempDir } from '../store/helpers.js';

/** A real queue on a real rumah.db, and what the sender writes parsed back by mqtt-packet (MQTT.js's parser). */
async function setup(t: TestContext, protocolVersion: 4 | 5, window: number, maxPacketSize?: number) {
  const db = await Database.open(path.join(tempDir(), 'rumah.db'), silentLog());
  t.after(() => db.close());
  await migrate(db, silentLog());
  const store = new QueueStore(db, silentLog());
  await store.open();
  const queue = new OutQueue('b', store, { maxMessages: 1_000_000, maxBytes: 1 << 30 });
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (err) => assert.fail(err));
  let writes = 0;
  const done: Array<{ topic: string; refused?: number }> = [];
  const session = new OutSession();
  // A sender per connection, all of one bridge's session, as link.ts makes them.
  const connect = (w: number, resume = false) => new OutSender({
    stream: { write: (chunk: Buffer) => (writes++, parser.parse(chunk), true) }, protocolVersion, queue, window: w, session, resume, ...(maxPacketSize ? { maxPacketSize } : {}),
    done: (msg: QueuedMessage, refused?: number) => {
      done.push({ topic: msg.topic, ...(refused !== undefined ? { refused } : {}) });
      queue.acked(msg);
    },
  });
  const sender = connect(window);
  const turn = () => new Promise((r) => setImmediate(r));
  return { queue, store, sender, connect, packets, done, turn, writes: () => writes };
}

test('70,000 QoS 1 messages through a window of 1,000: never more in flight, packet ids unique among them across the wrap at 65,535, in order, one write per turn', async (t) => {
  const { queue, sender, packets, done, turn, writes } = await setup(t, 4, 1000);
  const n = 70_000;
  for (let i = 0; i < n; i++) queue.add(`t/${i}`, Buffer.from(`m${i}`), 1, false);
  sender.schedule();
  const inflight = new Map<number, string>();
  const order: string[] = [];
  let turns = 0;
  for (let round = 0; order.length < n && round < 1000; round++) {
    await turn();
    turns++;
    for (const p of packets.splice(0)) {
      assert.equal(p.cmd, 'publish');
      if (p.cmd !== 'publish') continue;
      assert.equal(p.qos, 1);
      assert.ok(!inflight.has(p.messageId!), `packet id ${p.messageId} is in flight already`);
      inflight.set(p.messageId!, p.topic);
      order.push(p.topic);
      assert.equal(p.payload.toString(), `m${p.topic.slice(2)}`);
    }
    assert.ok(inflight.size <= 1000, `${inflight.size} in flight`);
    // The remote acknowledges all but the oldest tenth, newest first: the window refills from what left it. The first
    // message stays unacknowledged to the end, so its id is still in flight when the ids wrap.
    const ids = [...inflight.keys()].filter((id) => inflight.get(id) !== 't/0');
    for (const id of ids.slice(Math.floor(ids.length / 10)).reverse()) {
      assert.equal(sender.ack({ cmd: 'puback', messageId: id }), true);
      inflight.delete(id);
    }
  }
  assert.deepEqual(order, Array.from({ length: n }, (_, i) => `t/${i}`));
  assert.ok(writes() <= turns, `${writes()} writes in ${turns} turns`);
  for (const id of inflight.keys()) sender.ack({ cmd: 'puback', messageId: id });
  assert.equal(done.length, n);
  assert.equal(queue.depth, 0);
});

test('MQTT 5: QoS 2 is PUBLISH, PUBREC, PUBREL, PUBCOMP; a reason code >= 0x80 drops the message as refused; acknowledgements of ids not ours are left to MQTT.js', async (t) => {
  const { queue, sender, packets, done, turn } = await setup(t, 5, 10);
  queue.add('a', Buffer.from('1'), 2, true);
  queue.add('b', Buffer.from('2'), 1, false);
  queue.add('c', Buffer.from('3'), 2, false);
  sender.schedule();
  await turn();
  const [a, b, c] = packets.splice(0) as Array<Packet & { messageId: number; qos: number; retain: boolean; topic: string }>;
  assert.deepEqual([a, b, c].map((p) => [p.cmd, p.topic, p.qos, p.retain]), [['publish', 'a', 2, true], ['publish', 'b', 1, false], ['publish', 'c', 2, false]]);
  assert.equal(sender.ack({ cmd: 'puback', messageId: 999 }), false, 'an id the sender did not use');
  assert.equal(sender.ack({ cmd: 'pubcomp', messageId: a!.messageId }), false, 'PUBCOMP before PUBREC');
  assert.equal(sender.ack({ cmd: 'puback', messageId: a!.messageId }), false, 'PUBACK for a QoS 2 message');
  assert.equal(sender.ack({ cmd: 'pubrec', messageId: a!.messageId }), true);
  assert.deepEqual(packets.splice(0).map((p) => [p.cmd, (p as { messageId?: number }).messageId]), [['pubrel', a!.messageId]]);
  assert.deepEqual(done, [], 'not done before PUBCOMP');
  assert.equal(sender.ack({ cmd: 'pubcomp', messageId: a!.messageId }), true);
  assert.equal(sender.ack({ cmd: 'puback', messageId: b!.messageId, reasonCode: 0x87 }), true);
  assert.equal(sender.ack({ cmd: 'pubrec', messageId: c!.messageId, reasonCode: 0x97 }), true);
  assert.deepEqual(packets.splice(0), [], 'no PUBREL after a refusing PUBREC');
  assert.deepEqual(done, [{ topic: 'a' }, { topic: 'b', refused: 0x87 }, { topic: 'c', refused: 0x97 }]);
  assert.equal(queue.depth, 0);
  assert.equal(sender.publish0('z', Buffer.from('q0'), true), true);
  await turn();
  assert.deepEqual(packets.splice(0).map((p) => p.cmd === 'publish' && [p.topic, p.payload.toString(), p.qos, p.retain, p.messageId]), [['z', 'q0', 0, true, undefined]]);
  sender.close();
  queue.add('d', Buffer.from('4'), 1, false);
  sender.schedule();
  await turn();
  assert.deepEqual(packets, [], 'a closed sender writes nothing');
});

test('a PUBLISH over the remote\'s Maximum Packet Size, or with a topic over 65,535 bytes, is refused here and not written; the rest go', async (t) => {
  const { queue, sender, packets, done, turn } = await setup(t, 5, 10, 100);
  // 100 bytes: fixed header 2, topic length 2 + 1, packet id 2, properties 1: 92 bytes of payload fit, 93 do not.
  queue.add('a', Buffer.alloc(92), 1, false);
  queue.add('b', Buffer.alloc(93), 1, false);
  queue.add('x'.repeat(70_000), Buffer.alloc(0), 1, false);
  assert.equal(sender.publish0('c', Buffer.alloc(94), false), true, 'QoS 0: no packet id, 94 bytes fit');
  assert.equal(sender.publish0('d', Buffer.alloc(95), false), false);
  sender.schedule();
  await turn();
  assert.deepEqual(packets.map((p) => p.cmd === 'publish' && [p.topic, p.payload.length]), [['c', 94], ['a', 92]]);
  assert.deepEqual(done.map((d) => [d.topic.slice(0, 3), d.refused]), [['b', 0x95], ['xxx', 0x90]]);
});

test('QoS 0 is dropped, not buffered, while the connection has 4 MiB it has not taken', async (t) => {
  const { sender, packets, turn } = await setup(t, 4, 10);
  const stream = (sender as unknown as { deps: { stream: { writableLength?: number } } }).deps.stream;
  stream.writableLength = 4 * 1024 * 1024;
  assert.equal(sender.publish0('a', Buffer.from('x'), false), false);
  stream.writableLength = 0;
  assert.equal(sender.publish0('b', Buffer.from('y'), false), true);
  await turn();
  assert.deepEqual(packets.map((p) => p.cmd === 'publish' && p.topic), ['b']);
});

test('a resumed session sends again what was in flight, first and in order, under the original ids with DUP 1 (PUBREL after a PUBREC), within a window that shrank; the queue then goes on', async (t) => {
  const { queue, sender, connect, packets, done, turn } = await setup(t, 5, 10);
  type Pub = Packet & { cmd: 'publish'; messageId: number; qos: number; dup: boolean; topic: string };
  const wire = () => packets.splice(0).map((p) => (p.cmd === 'publish' ? `${p.topic} ${(p as Pub).messageId} q${p.qos}${p.dup ? ' dup' : ''}` : `${p.cmd} ${(p as { messageId: number }).messageId}`));
  queue.add('a', Buffer.from('1'), 1, false);
  queue.add('b', Buffer.from('2'), 2, false);
  queue.add('c', Buffer.from('3'), 2, false);
  queue.add('d', Buffer.from('4'), 1, false);
  queue.add('e', Buffer.from('5'), 1, false);
  sender.schedule();
  await turn();
  assert.deepEqual(wire(), ['a 1 q1', 'b 2 q2', 'c 3 q2', 'd 4 q1', 'e 5 q1']);
  assert.equal(sender.ack({ cmd: 'pubrec', messageId: 2 }), true);
  assert.equal(sender.ack({ cmd: 'puback', messageId: 4 }), true);
  assert.deepEqual(wire(), ['pubrel 2']);
  // The connection drops; the remote resumes the session, now with a Receive Maximum of 2.
  sender.close();
  queue.add('f', Buffer.from('6'), 1, false);
  const again = connect(2, true);
  again.schedule();
  await turn();
  assert.deepEqual(wire(), ['a 1 q1 dup', 'pubrel 2'], 'two in flight: the window counts what goes again');
  // e is answered before it went again (a remote that had it): taken, and not sent again.
  assert.equal(again.ack({ cmd: 'puback', messageId: 5 }), true);
  await turn();
  assert.deepEqual(wire(), [], 'still two in flight');
  assert.equal(again.ack({ cmd: 'puback', messageId: 1 }), true);
  await turn();
  assert.deepEqual(wire(), ['c 3 q2 dup']);
  assert.equal(again.ack({ cmd: 'pubcomp', messageId: 2 }), true);
  await turn();
  assert.deepEqual(wire(), ['f 6 q1'], 'then the queue, under a new id, DUP 0');
  assert.equal(again.ack({ cmd: 'pubrec', messageId: 3 }), true);
  assert.equal(again.ack({ cmd: 'pubcomp', messageId: 3 }), true);
  assert.equal(again.ack({ cmd: 'puback', messageId: 6 }), true);
  assert.deepEqual(done.map((d) => d.topic), ['d', 'e', 'a', 'b', 'c', 'f']);
  assert.equal(queue.depth, 0);
});
