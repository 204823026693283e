// §5.4.12 PUBLISH, §5.4.13 PUBACK, §5.4.14 PUBREC, PUBREL, PUBCOMP.
import { fail, readFlags, writeFlags } from './header.js';
import { topicOctets } from './topics.js';
import { MsgType, type Decoded, type Packet, type PacketOf, type ReturnCodeValue, type TopicRef } from './types.js';

function msgIdOnly(type: 'pubrec' | 'pubrel' | 'pubcomp', name: string) {
  return (b: Buffer): Decoded<Packet> => (b.length === 2 ? { ok: true, value: { type, msgId: b.readUInt16BE(0) } } : fail(`${name} body is 2 octets, not ${b.length}`));
}

export const publishDecoders: Record<number, (body: Buffer) => Decoded<Packet>> = {
  // §5.4.12: Flags (1) | TopicId (2) | MsgId (2) | Data. The TopicId field holds a short topic name when TopicIdType is 0b10.
  [MsgType.PUBLISH]: (b) => {
    if (b.length < 5) return fail(`PUBLISH body needs at least 5 octets, got ${b.length}`);
    const flags = readFlags(b[0]!);
    if (!flags.ok) return flags;
    const t = flags.value.topicIdType;
    let topic: TopicRef;
    if (t === 'short') {
      const name = b.subarray(1, 3).toString('latin1');
      // Two characters (§3: "short topic names ... have a fixed length of two octets"); control octets are no name.
      if (/[\u0000-\u001f+#]/.test(name)) return fail('short topic name holds a control or wildcard character');
      topic = { type: 'short', name };
    } else topic = t === 'normal' ? { type: 'normal', id: b.readUInt16BE(1) } : { type: 'predefined', id: b.readUInt16BE(1) };
    return { ok: true, value: { type: 'publish', flags: flags.value, topic, msgId: b.readUInt16BE(3), data: Buffer.from(b.subarray(5)) } };
  },
  // §5.4.13: TopicId (2) | MsgId (2) | ReturnCode (1).
  [MsgType.PUBACK]: (b) => {
    if (b.length !== 5) return fail(`PUBACK body is 5 octets, not ${b.length}`);
    if (b[4]! > 3) return fail(`PUBACK return code 0x${b[4]!.toString(16)} is reserved`);
    return { ok: true, value: { type: 'puback', topicId: b.readUInt16BE(0), msgId: b.readUInt16BE(2), returnCode: b[4] as ReturnCodeValue } };
  },
  [MsgType.PUBREC]: msgIdOnly('pubrec', 'PUBREC'),
  [MsgType.PUBREL]: msgIdOnly('pubrel', 'PUBREL'),
  [MsgType.PUBCOMP]: msgIdOnly('pubcomp', 'PUBCOMP'),
};

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

export const publishEncoders = {
  publish: (p: PacketOf<'publish'>): [number, Buffer] => {
    if (p.topic.type === 'name') throw new TypeError('PUBLISH carries a topic id or a short name, not a topic name');
    return [MsgType.PUBLISH, Buffer.concat([Buffer.from([writeFlags({ ...p.flags, topicIdType: p.topic.type })]), topicOctets(p.topic), u16(p.msgId), p.data])];
  },
  puback: (p: PacketOf<'puback'>): [number, Buffer] => [MsgType.PUBACK, Buffer.concat([u16(p.topicId), u16(p.msgId), Buffer.from([p.returnCode])])],
  pubrec: (p: PacketOf<'pubrec'>): [number, Buffer] => [MsgType.PUBREC, u16(p.msgId)],
  pubrel: (p: PacketOf<'pubrel'>): [number, Buffer] => [MsgType.PUBREL, u16(p.msgId)],
  pubcomp: (p: PacketOf<'pubcomp'>): [number, Buffer] => [MsgType.PUBCOMP, u16(p.msgId)],
};
