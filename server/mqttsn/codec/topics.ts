// §5.4.10 REGISTER, §5.4.11 REGACK, §5.4.15–5.4.18 SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.
import { fail, readFlags, readText, writeFlags } from './header.js';
import { MsgType, type Decoded, type Flags, type Packet, type PacketOf, type ReturnCodeValue, type TopicRef } from './types.js';

function rc(octet: number, name: string): Decoded<ReturnCodeValue> {
  return octet > 3 ? fail(`${name} return code 0x${octet.toString(16)} is reserved`) : { ok: true, value: octet as ReturnCodeValue };
}

/**
 * §5.4.15/§5.4.17: after Flags and MsgId, a TopicName (TopicIdType 0b00), a predefined TopicId (0b01, two octets)
 * or a short topic name (0b10, two octets).
 */
function subscriptionTopic(flags: Flags, rest: Buffer, name: string): Decoded<TopicRef> {
  if (flags.topicIdType === 'normal') {
    if (rest.length === 0) return fail(`${name} without a topic name`);
    const text = readText(rest, 'TopicName');
    return text.ok ? { ok: true, value: { type: 'name', name: text.value } } : text;
  }
  if (rest.length !== 2) return fail(`${name} with a ${flags.topicIdType} topic carries 2 octets, not ${rest.length}`);
  if (flags.topicIdType === 'predefined') return { ok: true, value: { type: 'predefined', id: rest.readUInt16BE(0) } };
  const text = readText(rest, 'short topic name');
  return text.ok ? { ok: true, value: { type: 'short', name: text.value } } : text;
}

function subscription(type: 'subscribe' | 'unsubscribe', name: string) {
  return (b: Buffer): Decoded<Packet> => {
    if (b.length < 4) return fail(`${name} body needs at least 4 octets, got ${b.length}`);
    const flags = readFlags(b[0]!);
    if (!flags.ok) return flags;
    const topic = subscriptionTopic(flags.value, b.subarray(3), name);
    if (!topic.ok) return topic;
    return { ok: true, value: { type, flags: flags.value, msgId: b.readUInt16BE(1), topic: topic.value } };
  };
}

export const topicDecoders: Record<number, (body: Buffer) => Decoded<Packet>> = {
  // §5.4.10: TopicId (2) | MsgId (2) | TopicName.
  [MsgType.REGISTER]: (b) => {
    if (b.length < 5) return fail(`REGISTER body needs at least 5 octets, got ${b.length}`);
    const name = readText(b.subarray(4), 'TopicName');
    if (!name.ok) return name;
    return { ok: true, value: { type: 'register', topicId: b.readUInt16BE(0), msgId: b.readUInt16BE(2), topicName: name.value } };
  },
  // §5.4.11: TopicId (2) | MsgId (2) | ReturnCode (1).
  [MsgType.REGACK]: (b) => {
    if (b.length !== 5) return fail(`REGACK body is 5 octets, not ${b.length}`);
    const code = rc(b[4]!, 'REGACK');
    return code.ok ? { ok: true, value: { type: 'regack', topicId: b.readUInt16BE(0), msgId: b.readUInt16BE(2), returnCode: code.value } } : code;
  },
  [MsgType.SUBSCRIBE]: subscription('subscribe', 'SUBSCRIBE'),
  // §5.4.16: Flags (1) | TopicId (2) | MsgId (2) | ReturnCode (1).
  [MsgType.SUBACK]: (b) => {
    if (b.length !== 6) return fail(`SUBACK body is 6 octets, not ${b.length}`);
    const flags = readFlags(b[0]!);
    if (!flags.ok) return flags;
    const code = rc(b[5]!, 'SUBACK');
    return code.ok ? { ok: true, value: { type: 'suback', flags: flags.value, topicId: b.readUInt16BE(1), msgId: b.readUInt16BE(3), returnCode: code.value } } : code;
  },
  [MsgType.UNSUBSCRIBE]: subscription('unsubscribe', 'UNSUBSCRIBE'),
  // §5.4.18: MsgId (2).
  [MsgType.UNSUBACK]: (b) => (b.length === 2 ? { ok: true, value: { type: 'unsuback', msgId: b.readUInt16BE(0) } } : fail(`UNSUBACK body is 2 octets, not ${b.length}`)),
};

function topicOctets(t: TopicRef): Buffer {
  if (t.type === 'name') return Buffer.from(t.name);
  if (t.type === 'short') return Buffer.from(t.name.padEnd(2, '\u0000').slice(0, 2), 'latin1');
  const b = Buffer.alloc(2);
  b.writeUInt16BE(t.id);
  return b;
}

export function topicIdTypeOf(t: TopicRef): Flags['topicIdType'] {
  return t.type === 'name' ? 'normal' : t.type;
}

const ids = (...n: number[]): Buffer => {
  const b = Buffer.alloc(n.length * 2);
  n.forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
};

export const topicEncoders = {
  register: (p: PacketOf<'register'>): [number, Buffer] => [MsgType.REGISTER, Buffer.concat([ids(p.topicId, p.msgId), Buffer.from(p.topicName)])],
  regack: (p: PacketOf<'regack'>): [number, Buffer] => [MsgType.REGACK, Buffer.concat([ids(p.topicId, p.msgId), Buffer.from([p.returnCode])])],
  subscribe: (p: PacketOf<'subscribe'>): [number, Buffer] => [MsgType.SUBSCRIBE, Buffer.concat([Buffer.from([writeFlags({ ...p.flags, topicIdType: topicIdTypeOf(p.topic) })]), ids(p.msgId), topicOctets(p.topic)])],
  suback: (p: PacketOf<'suback'>): [number, Buffer] => [MsgType.SUBACK, Buffer.concat([Buffer.from([writeFlags(p.flags)]), ids(p.topicId, p.msgId), Buffer.from([p.returnCode])])],
  unsubscribe: (p: PacketOf<'unsubscribe'>): [number, Buffer] => [MsgType.UNSUBSCRIBE, Buffer.concat([Buffer.from([writeFlags({ ...p.flags, topicIdType: topicIdTypeOf(p.topic) })]), ids(p.msgId), topicOctets(p.topic)])],
  unsuback: (p: PacketOf<'unsuback'>): [number, Buffer] => [MsgType.UNSUBACK, ids(p.msgId)],
};

export { topicOctets };
