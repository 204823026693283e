import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { checkPropertyBlock } from '../../../server/mqtt/v5-guard.js';
import { plainListOf } from '../../../server/mqtt/parser-input.js';

// checkPropertyBlock reads the block the way mqtt-packet holds it: a list of the socket's reads. The flows
// (mqtt5-malformed, fuzz-mqtt5) send it whole packets; here the block itself, whole and cut into 1-byte reads.

const PlainList = plainListOf(mqttPacket.parser() as never)!;

/** A packet body: 2 bytes before the block (a topic length of 0, as a stand-in), the Property Length, the properties. */
function body(...properties: number[][]): Buffer {
  const props = properties.flat();
  assert.ok(props.length < 128);
  return Buffer.from([0, 0, props.length, ...props]);
}

const str = (s: string): number[] => [s.length >> 8, s.length & 0xff, ...Buffer.from(s, 'latin1')];
const expiry = [0x02, 0, 0, 0x0e, 0x10];
const user = (k: string, v: string): number[] => [0x26, ...str(k), ...str(v)];

/** The answer for `b` whole and for `b` in 1-byte reads: they must agree. */
function check(b: Buffer, place: Parameters<typeof checkPropertyBlock>[3], fromServer = false): ReturnType<typeof checkPropertyBlock> {
  const whole = checkPropertyBlock(b, 2, b.length, place, fromServer);
  const list = new PlainList();
  for (let i = 0; i < b.length; i++) list.append(b.subarray(i, i + 1));
  assert.deepEqual(checkPropertyBlock(list, 2, b.length, place, fromServer), whole, 'the same answer from 1-byte reads');
  return whole;
}

test('a well-formed block: its end, whole or in pieces', () => {
  const b = body(expiry, user('source', 'bench'), user('source', 'again'), [0x03, ...str('application/json')]);
  assert.deepEqual(check(b, 'publish'), { end: b.length });
  assert.deepEqual(check(body(), 'publish'), { end: 3 }, 'an empty block');
  // Identifiers above 31 and below it side by side (the seen-set keeps them apart).
  const connect = body([0x11, 0, 0, 0, 60], [0x21, 0, 10], [0x22, 0, 5], [0x27, 0, 1, 0, 0], [0x17, 1]);
  assert.deepEqual(check(connect, 'connect'), { end: connect.length });
});

test('a property twice is a Protocol Error, User Property excepted; a server may forward Subscription Identifiers', () => {
  assert.deepEqual(check(body(expiry, expiry), 'publish'), { code: 0x82, why: 'Message Expiry Interval more than once' });
  assert.deepEqual(check(body([0x21, 0, 10], [0x21, 0, 20]), 'connect'), { code: 0x82, why: 'Receive Maximum more than once' });
  assert.deepEqual(check(body([0x0b, 1], [0x0b, 2]), 'publish', true), { end: 7 });
  assert.deepEqual(check(body([0x0b, 1]), 'publish'), { code: 0x82, why: 'Subscription Identifier in a PUBLISH from a client [MQTT-3.3.4-6]' });
});

test('what is not a property of its packet, unknown, cut short or ill-formed is a Malformed Packet', () => {
  assert.deepEqual(check(body([0x23, 0, 1]), 'connect'), { code: 0x81, why: 'Topic Alias is not a property of CONNECT' });
  assert.deepEqual(check(body([0x18, 0, 0, 0, 1]), 'publish'), { code: 0x81, why: 'Will Delay Interval is not a property of PUBLISH' });
  assert.deepEqual(check(body([0x30]), 'publish'), { code: 0x81, why: 'unknown property identifier 0x30' });
  assert.deepEqual(check(body([0x02, 0, 0]), 'publish'), { code: 0x81, why: 'Message Expiry Interval cut short' });
  assert.deepEqual(check(body([0x03, 0, 5, 0x61]), 'publish'), { code: 0x81, why: 'Content Type runs past the Property Length' });
  assert.deepEqual(check(body([0x03, 0, 2, 0xc3, 0x28]), 'publish'), { code: 0x81, why: 'ill-formed UTF-8 in Content Type' });
  assert.deepEqual(check(body(user('a', '\0')), 'publish'), { code: 0x81, why: 'U+0000 in User Property' });
  assert.deepEqual(check(body([0x0b, 0x80, 0x00]), 'subscribe'), { code: 0x81, why: 'Subscription Identifier: Variable Byte Integer not in its shortest form' });
  assert.deepEqual(check(body([0x01, 2]), 'publish'), { code: 0x82, why: 'Payload Format Indicator 2, neither 0 nor 1' });
  const long = Buffer.from([0, 0, 9, 0x02, 0, 0, 0, 1]);
  assert.deepEqual(check(long, 'publish'), { code: 0x81, why: 'Property Length runs past the packet' });
});
