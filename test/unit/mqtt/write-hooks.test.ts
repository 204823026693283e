// The per-connection hooks on mqtt-packet's writeToStream (server/mqtt/write-hooks.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { hookConnacks, hookWrites, writeNow, type OutgoingPacket } from '../../../server/mqtt/write-hooks.js';

function sink(): { stream: Writable; bytes: () => number } {
  let n = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
    },
  });
  return { stream, bytes: () => n };
}

const publish = { cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false } as const;
const write = (stream: Writable): boolean => mqttPacket.writeToStream(publish as never, stream, { protocolVersion: 4 });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a hook sees the packets of its stream only, can take one, and is gone once removed', async () => {
  const hooked = sink();
  const other = sink();
  const seen: OutgoingPacket[] = [];
  let take = true;
  const remove = hookWrites(hooked.stream, (packet) => {
    seen.push(packet);
    return take;
  });
  assert.equal(write(hooked.stream), true, 'a taken packet counts as written');
  write(other.stream);
  await tick();
  assert.equal(hooked.bytes(), 0, 'taken: nothing written');
  assert.ok(other.bytes() > 0, 'another stream is not affected');
  assert.equal(seen.length, 1);

  writeNow(seen[0]!, hooked.stream, { protocolVersion: 4 });
  await tick();
  const released = hooked.bytes();
  assert.ok(released > 0, 'writeNow writes past the hooks');

  take = false;
  write(hooked.stream);
  await tick();
  assert.equal(hooked.bytes(), released * 2, 'a hook that declines lets the packet through');
  remove();
  write(hooked.stream);
  await tick();
  assert.equal(seen.length, 2, 'removed: not called again');
  assert.equal(hooked.bytes(), released * 3);
});

test('a hook that removes itself while a packet goes through does not make the next hook miss that packet', async () => {
  const s = sink();
  const order: string[] = [];
  const removeFirst = hookWrites(s.stream, () => {
    order.push('first');
    removeFirst(); // as the CONNACK hooks do: once, then gone
    return false;
  });
  hookWrites(s.stream, () => {
    order.push('second');
    return false;
  });
  write(s.stream);
  write(s.stream);
  await tick();
  assert.deepEqual(order, ['first', 'second', 'second']);
  assert.ok(s.bytes() > 0);
});

test('a 3.1.1 CONNACK leaves in one write, the bytes mqtt-packet encodes; an MQTT 5 one is still mqtt-packet\'s', async () => {
  const unhook = hookConnacks(() => undefined);
  try {
    const writes = async (packet: object, protocolVersion: number): Promise<Buffer[]> => {
      const chunks: Buffer[] = [];
      const stream = new Writable({ write: (chunk: Buffer, _enc, cb) => (chunks.push(chunk), cb()) });
      stream.cork(); // as the write coalescer holds a socket for the turn: each write is its own chunk
      mqttPacket.writeToStream(packet as never, stream, { protocolVersion });
      stream.uncork();
      await tick(); // mqtt-packet corks the stream for each packet it encodes until the next tick
      return chunks;
    };
    for (const sessionPresent of [false, true]) {
      for (const returnCode of [0, 1, 2, 3, 4, 5]) {
        const packet = { cmd: 'connack', returnCode, sessionPresent };
        const chunks = await writes(packet, 4);
        assert.equal(chunks.length, 1, 'one write');
        assert.deepEqual(chunks[0], mqttPacket.generate(packet as never, { protocolVersion: 4 }));
        assert.deepEqual((await writes(packet, 3))[0], chunks[0]);
      }
    }
    const v5 = { cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { receiveMaximum: 10 } };
    assert.deepEqual(Buffer.concat(await writes(v5, 5)), mqttPacket.generate(v5 as never, { protocolVersion: 5 }));
  } finally {
    unhook();
  }
});
