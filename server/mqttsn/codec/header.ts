import type { Decoded, Flags, Qos, TopicIdType } from './types.js';

/**
 * §5.2.1 Length: one octet for messages up to 255 octets; otherwise 0x01 followed by two octets (big-endian) of
 * the total length. The length counts the whole message, length octets included, and must equal the datagram's
 * (a UDP datagram carries exactly one message). A 3-octet length is accepted for a short message too (the spec
 * does not forbid it); 0x00 and a length shorter than the header are refused.
 */
export function readHeader(buf: Buffer): Decoded<{ msgType: number; body: Buffer }> {
  if (buf.length < 2) return fail(`datagram of ${buf.length} octet(s): shorter than any MQTT-SN header`);
  let length: number;
  let headerLength: number;
  if (buf[0] === 0x01) {
    if (buf.length < 4) return fail('3-octet length form cut short');
    length = buf.readUInt16BE(1);
    headerLength = 4;
  } else {
    length = buf[0]!;
    headerLength = 2;
  }
  if (length < headerLength) return fail(`length ${length} is shorter than its own header (${headerLength} octets)`);
  if (length !== buf.length) return fail(`length field says ${length} octets, the datagram has ${buf.length}`);
  return { ok: true, value: { msgType: buf[headerLength - 1]!, body: buf.subarray(headerLength) } };
}

/** Length octets + MsgType, then body: the 1-octet form up to 255 octets in all, else the 3-octet form (§5.2.1). */
export function frame(msgType: number, body: Buffer): Buffer {
  const short = body.length + 2 <= 255;
  const out = Buffer.allocUnsafe(body.length + (short ? 2 : 4));
  if (short) {
    out[0] = body.length + 2;
    out[1] = msgType;
    body.copy(out, 2);
  } else {
    if (body.length + 4 > 0xffff) throw new RangeError(`MQTT-SN message of ${body.length + 4} octets exceeds 65535`);
    out[0] = 0x01;
    out.writeUInt16BE(body.length + 4, 1);
    out[3] = msgType;
    body.copy(out, 4);
  }
  return out;
}

const qosOf: readonly Qos[] = [0, 1, 2, -1];
const idTypeOf: readonly (TopicIdType | undefined)[] = ['normal', 'predefined', 'short', undefined];

/** §5.3.4 Flags: DUP b7, QoS b6-5 (0b11 = −1), Retain b4, Will b3, CleanSession b2, TopicIdType b1-0 (0b11 reserved). */
export function readFlags(octet: number): Decoded<Flags> {
  const topicIdType = idTypeOf[octet & 0x03];
  if (!topicIdType) return fail('TopicIdType 0b11 is reserved');
  return {
    ok: true,
    value: { dup: (octet & 0x80) !== 0, qos: qosOf[(octet >> 5) & 0x03]!, retain: (octet & 0x10) !== 0, will: (octet & 0x08) !== 0, cleanSession: (octet & 0x04) !== 0, topicIdType },
  };
}

export function writeFlags(f: Partial<Flags>): number {
  const qos = f.qos === undefined ? 0 : f.qos === -1 ? 3 : f.qos;
  const idType = f.topicIdType === 'predefined' ? 1 : f.topicIdType === 'short' ? 2 : 0;
  return (f.dup ? 0x80 : 0) | (qos << 5) | (f.retain ? 0x10 : 0) | (f.will ? 0x08 : 0) | (f.cleanSession ? 0x04 : 0) | idType;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Topic names and client ids are UTF-8 (as in MQTT); invalid UTF-8 or U+0000 is refused, as MQTT 3.1.1 §1.5.3 does. */
export function readText(buf: Buffer, what: string): Decoded<string> {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return fail(`${what} is not valid UTF-8`);
  }
  if (text.includes('\u0000')) return fail(`${what} contains U+0000`);
  return { ok: true, value: text };
}

export function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
