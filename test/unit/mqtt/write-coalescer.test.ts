import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { WriteCoalescer } from '../../../server/mqtt/write-coalescer.js';

/** A real Writable that records each batch it is handed (what a socket's writev would send at once). */
function recordingStream(highWaterMark?: number): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    highWaterMark,
    writev(chunks, cb) {
      batches.push(chunks.map((c) => String(c.chunk)));
      cb();
    },
    write(chunk, _enc, cb) {
      batches.push([String(chunk)]);
      cb();
    },
  });
  return { stream, batches };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('packets written to one stream in one turn leave together, in order; the next turn starts a new batch', async () => {
  const writes = new WriteCoalescer();
  const { stream, batches } = recordingStream();
  writes.attach(stream);
  // Each writeToStream corks the stream and uncorks it on the next tick: without the coalescer, one batch each.
  for (const id of [1, 2, 3]) mqttPacket.writeToStream({ cmd: 'puback', messageId: id }, stream);
  await new Promise((r) => process.nextTick(r));
  await Promise.resolve();
  mqttPacket.writeToStream({ cmd: 'puback', messageId: 4 }, stream);
  await turn();
  await turn();
  assert.equal(batches.length, 1, `one batch, got ${batches.length}`);
  assert.equal(batches[0]!.join('').length, 16, 'four 4-byte PUBACKs');
  stream.write('next');
  await turn();
  await turn();
  assert.deepEqual(batches.at(-1), ['next']);
});

test('two streams written in the same turn are each flushed once', async () => {
  const writes = new WriteCoalescer();
  const a = recordingStream();
  const b = recordingStream();
  writes.attach(a.stream);
  writes.attach(b.stream);
  a.stream.write('a1');
  b.stream.write('b1');
  a.stream.write('a2');
  await turn();
  await turn();
  assert.deepEqual(a.batches, [['a1', 'a2']]);
  assert.deepEqual(b.batches, [['b1']]);
});

test('a stream destroyed before the flush is skipped, the others still flush', async () => {
  const writes = new WriteCoalescer();
  const a = recordingStream();
  const b = recordingStream();
  a.stream.on('error', () => undefined);
  writes.attach(a.stream);
  writes.attach(b.stream);
  a.stream.write('lost');
  b.stream.write('kept');
  a.stream.destroy();
  await turn();
  await turn();
  assert.deepEqual(a.batches, []);
  assert.deepEqual(b.batches, [['kept']]);
});

test('past the high-water mark, what a turn holds leaves on the next tick; what follows is held to the end of the turn', async () => {
  const writes = new WriteCoalescer();
  const { stream, batches } = recordingStream(100);
  writes.attach(stream);
  // mqtt-packet corks each packet and uncorks it on the next tick: the early flush must still reach the socket.
  const publish = (i: number) => mqttPacket.writeToStream({ cmd: 'publish', topic: 'ourhome/f/r/t', payload: Buffer.alloc(20, i), qos: 0, retain: false, dup: false, messageId: 0 } as mqttPacket.IPublishPacket, stream);
  for (let i = 0; i < 4; i++) publish(i); // 4 × 37 bytes: over 100
  await new Promise((r) => process.nextTick(r));
  await new Promise((r) => process.nextTick(r));
  assert.equal(batches.length, 1, 'sent before the turn ended');
  assert.equal(batches[0]!.join('').length, 4 * 37);
  publish(4);
  await new Promise((r) => process.nextTick(r));
  await new Promise((r) => process.nextTick(r));
  assert.equal(batches.length, 1, 'below the mark again: held');
  await turn();
  await turn();
  assert.equal(batches.length, 2);
  assert.equal(batches[1]!.join('').length, 37);
});
