import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket, encodePacket } from '../../../server/mqtt/persistence/packet-codec.js';
import type { StoredPacket } from '../../../server/mqtt/persistence/types.js';

const roundTrip = (packet: StoredPacket): StoredPacket => {
  const { meta, payload } = encodePacket(packet);
  return decodePacket(meta, payload);
};

test('a queued PUBLISH keeps its fields, undefined ones included, and its Buffer payload', () => {
  const packet: StoredPacket = {
    cmd: 'publish',
    brokerId: 'b1',
    brokerCounter: 7,
    topic: 'home/x',
    payload: Buffer.from([0, 1, 2, 255]),
    qos: 1,
    retain: false,
    dup: false,
    messageId: undefined,
    messageExpiry: 1_700_000_000_000,
    properties: { correlationData: Buffer.from('id-1'), userProperties: { a: ['1', '2'] }, messageExpiryInterval: 60 },
  };
  const back = roundTrip(packet);
  assert.deepEqual(back, packet);
  assert.ok(Object.prototype.hasOwnProperty.call(back, 'messageId'));
});

test('string, empty and absent payloads stay what they were', () => {
  assert.deepEqual(roundTrip({ cmd: 'publish', topic: 't', payload: 'héllo' }), { cmd: 'publish', topic: 't', payload: 'héllo' });
  assert.deepEqual(roundTrip({ cmd: 'publish', topic: 't', payload: '' }), { cmd: 'publish', topic: 't', payload: '' });
  assert.deepEqual(roundTrip({ cmd: 'publish', topic: 't', payload: Buffer.alloc(0) }), { cmd: 'publish', topic: 't', payload: Buffer.alloc(0) });
  const pubrel = roundTrip({ cmd: 'pubrel', messageId: 12 });
  assert.deepEqual(pubrel, { cmd: 'pubrel', messageId: 12 });
  assert.ok(!('payload' in pubrel));
});

test('the payload is stored as the BLOB, not in the JSON', () => {
  const { meta, payload } = encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.from('secret-ish') });
  assert.ok(!meta.includes('secret-ish'));
  assert.equal(payload?.toString(), 'secret-ish');
  const view = new Uint8Array([9, 8, 7]).subarray(1);
  assert.deepEqual(encodePacket({ payload: view }).payload, Buffer.from([8, 7]), 'a Uint8Array view is stored as its bytes');
});
