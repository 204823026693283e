import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeMessage, encapsulate, encode, type Packet } from '../../../server/mqttsn/codec/index.js';
import { encapsulatedPingreq, longPublish, malformed, specPackets } from '../../fixtures/mqttsn/spec-packets.js';

/** Buffers as number arrays, to compare with the hand-written fixtures. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return [...value];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** A fixture's decoded value with its number arrays as Buffers, as encode() takes it. */
function withBuffers(value: Record<string, unknown>): Packet {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? Buffer.from(v as number[]) : v])) as unknown as Packet;
}

for (const p of specPackets) {
  test(`§${p.section} ${p.name}: decoded from the specification's octets`, () => {
    const d = decode(Buffer.from(p.bytes));
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(plain(d.value), p.decoded);
  });
  test(`§${p.section} ${p.name}: encoded to the specification's octets`, () => {
    assert.deepEqual([...encode(withBuffers(p.decoded))], p.bytes);
  });
}

test('§5.2.1 the 3-octet length form is read, and used for a message over 255 octets', () => {
  const d = decodeMessage(Buffer.from(longPublish.bytes));
  assert.ok(d.ok, d.ok ? '' : d.reason);
  assert.equal(d.value.type, 'publish');
  assert.equal((d.value as Extract<Packet, { type: 'publish' }>).data.length, longPublish.dataLength);
  assert.deepEqual([...encode(d.value)], longPublish.bytes);
});

test('§5.2.1 a short message in the 3-octet form is accepted', () => {
  const d = decode(Buffer.from([0x01, 0x00, 0x04, 0x16]));
  assert.ok(d.ok);
  assert.deepEqual(d.value, { type: 'pingreq' });
});

test('§5.5 forwarder encapsulation: node id, radius and the message inside', () => {
  const d = decode(Buffer.from(encapsulatedPingreq.bytes));
  assert.ok(d.ok, d.ok ? '' : d.reason);
  assert.equal(d.value.type, 'encapsulated');
  const e = d.value as Extract<typeof d.value, { type: 'encapsulated' }>;
  assert.deepEqual([...e.nodeId], encapsulatedPingreq.nodeId);
  assert.equal(e.radius, encapsulatedPingreq.radius);
  assert.deepEqual([...e.inner], encapsulatedPingreq.inner);
  assert.deepEqual([...encapsulate(Buffer.from(encapsulatedPingreq.nodeId), Buffer.from(encapsulatedPingreq.inner), 1)], encapsulatedPingreq.bytes);
});

for (const m of malformed) {
  test(`refused with a reason, never thrown: ${m.why}`, () => {
    const d = decode(Buffer.from(m.bytes));
    assert.equal(d.ok, false);
    assert.match((d as { reason: string }).reason, m.reason);
  });
}

test('every truncation of every specification packet is refused or decoded, never thrown', () => {
  for (const p of [...specPackets.map((s) => s.bytes), longPublish.bytes, encapsulatedPingreq.bytes]) {
    for (let n = 0; n < p.length; n++) {
      const cut = Buffer.from(p.slice(0, n));
      assert.doesNotThrow(() => decode(cut));
      // The length octet no longer matches a cut datagram (except an encapsulation, whose length covers its header only).
      if (p[1] !== 0xfe) assert.equal(decode(cut).ok, false, `${p.length}-octet packet cut to ${n}`);
    }
  }
});
