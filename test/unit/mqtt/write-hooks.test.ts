// The per-connection hooks on mqtt-packet's writeToStream (server/mqtt/write-hooks.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { hookWrites, writeNow, type OutgoingPacket } from '../../../server/mqtt/write-hooks.js';

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
