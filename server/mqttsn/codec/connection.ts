// §5.4.4–5.4.9 CONNECT, CONNACK and the will exchange; §5.4.19–5.4.21 PINGREQ, PINGRESP, DISCONNECT;
// §5.4.22–5.4.25 the will updates.
import { fail, readFlags, readText, writeFlags } from './header.js';
import { MsgType, type Decoded, type Packet, type PacketOf, type ReturnCodeValue } from './types.js';

function returnCode(b: Buffer, name: string): Decoded<ReturnCodeValue> {
  if (b.length !== 1) return fail(`${name} body is 1 octet, not ${b.length}`);
  if (b[0]! > 3) return fail(`${name} return code 0x${b[0]!.toString(16)} is reserved`);
  return { ok: true, value: b[0] as ReturnCodeValue };
}

function empty(type: 'willtopicreq' | 'willmsgreq' | 'pingresp', name: string) {
  return (b: Buffer): Decoded<Packet> => (b.length === 0 ? { ok: true, value: { type } } : fail(`${name} has no body, got ${b.length} octets`));
}

/**
 * §5.4.7 WILLTOPIC and §5.4.22 WILLTOPICUPD: Flags (1) | WillTopic. "An empty WILLTOPIC message is a WILLTOPIC message
 * without Flags and WillTopic field": it deletes the will.
 */
function willTopic(type: 'willtopic' | 'willtopicupd', name: string) {
  return (b: Buffer): Decoded<Packet> => {
    if (b.length === 0) return { ok: true, value: { type, topic: '' } };
    const flags = readFlags(b[0]!);
    if (!flags.ok) return flags;
    if (flags.value.qos === -1) return fail(`${name} with QoS −1`);
    if (b.length === 1) return fail(`${name} with Flags but no WillTopic`);
    const topic = readText(b.subarray(1), 'WillTopic');
    return topic.ok ? { ok: true, value: { type, flags: flags.value, topic: topic.value } } : topic;
  };
}

export const connectionDecoders: Record<number, (body: Buffer) => Decoded<Packet>> = {
  // §5.4.4: Flags (1) | ProtocolId (1) | Duration (2) | ClientId (1-23 characters).
  [MsgType.CONNECT]: (b) => {
    if (b.length < 5) return fail(`CONNECT body needs at least 5 octets, got ${b.length}`);
    const flags = readFlags(b[0]!);
    if (!flags.ok) return flags;
    const clientId = readText(b.subarray(4), 'ClientId');
    if (!clientId.ok) return clientId;
    return { ok: true, value: { type: 'connect', flags: flags.value, protocolId: b[1]!, duration: b.readUInt16BE(2), clientId: clientId.value } };
  },
  [MsgType.CONNACK]: (b) => {
    const rc = returnCode(b, 'CONNACK');
    return rc.ok ? { ok: true, value: { type: 'connack', returnCode: rc.value } } : rc;
  },
  [MsgType.WILLTOPICREQ]: empty('willtopicreq', 'WILLTOPICREQ'),
  [MsgType.WILLTOPIC]: willTopic('willtopic', 'WILLTOPIC'),
  [MsgType.WILLMSGREQ]: empty('willmsgreq', 'WILLMSGREQ'),
  // §5.4.9: WillMsg, the whole body.
  [MsgType.WILLMSG]: (b) => ({ ok: true, value: { type: 'willmsg', message: Buffer.from(b) } }),
  // §5.4.19: ClientId, present only when a sleeping client wakes (§6.14).
  [MsgType.PINGREQ]: (b) => {
    if (b.length === 0) return { ok: true, value: { type: 'pingreq' } };
    const clientId = readText(b, 'ClientId');
    return clientId.ok ? { ok: true, value: { type: 'pingreq', clientId: clientId.value } } : clientId;
  },
  [MsgType.PINGRESP]: empty('pingresp', 'PINGRESP'),
  // §5.4.21: Duration (2), present only when the client goes to sleep.
  [MsgType.DISCONNECT]: (b) => {
    if (b.length === 0) return { ok: true, value: { type: 'disconnect' } };
    if (b.length !== 2) return fail(`DISCONNECT body is 0 or 2 octets, not ${b.length}`);
    return { ok: true, value: { type: 'disconnect', duration: b.readUInt16BE(0) } };
  },
  [MsgType.WILLTOPICUPD]: willTopic('willtopicupd', 'WILLTOPICUPD'),
  [MsgType.WILLMSGUPD]: (b) => ({ ok: true, value: { type: 'willmsgupd', message: Buffer.from(b) } }),
  [MsgType.WILLTOPICRESP]: (b) => {
    const rc = returnCode(b, 'WILLTOPICRESP');
    return rc.ok ? { ok: true, value: { type: 'willtopicresp', returnCode: rc.value } } : rc;
  },
  [MsgType.WILLMSGRESP]: (b) => {
    const rc = returnCode(b, 'WILLMSGRESP');
    return rc.ok ? { ok: true, value: { type: 'willmsgresp', returnCode: rc.value } } : rc;
  },
};

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

const willTopicBody = (p: { flags?: PacketOf<'willtopic'>['flags']; topic: string }): Buffer =>
  p.topic === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from([writeFlags(p.flags ?? {})]), Buffer.from(p.topic)]);

export const connectionEncoders = {
  connect: (p: PacketOf<'connect'>): [number, Buffer] => [MsgType.CONNECT, Buffer.concat([Buffer.from([writeFlags(p.flags), p.protocolId]), u16(p.duration), Buffer.from(p.clientId)])],
  connack: (p: PacketOf<'connack'>): [number, Buffer] => [MsgType.CONNACK, Buffer.from([p.returnCode])],
  willtopicreq: (): [number, Buffer] => [MsgType.WILLTOPICREQ, Buffer.alloc(0)],
  willtopic: (p: PacketOf<'willtopic'>): [number, Buffer] => [MsgType.WILLTOPIC, willTopicBody(p)],
  willmsgreq: (): [number, Buffer] => [MsgType.WILLMSGREQ, Buffer.alloc(0)],
  willmsg: (p: PacketOf<'willmsg'>): [number, Buffer] => [MsgType.WILLMSG, p.message],
  pingreq: (p: PacketOf<'pingreq'>): [number, Buffer] => [MsgType.PINGREQ, p.clientId ? Buffer.from(p.clientId) : Buffer.alloc(0)],
  pingresp: (): [number, Buffer] => [MsgType.PINGRESP, Buffer.alloc(0)],
  disconnect: (p: PacketOf<'disconnect'>): [number, Buffer] => [MsgType.DISCONNECT, p.duration === undefined ? Buffer.alloc(0) : u16(p.duration)],
  willtopicupd: (p: PacketOf<'willtopicupd'>): [number, Buffer] => [MsgType.WILLTOPICUPD, willTopicBody(p)],
  willmsgupd: (p: PacketOf<'willmsgupd'>): [number, Buffer] => [MsgType.WILLMSGUPD, p.message],
  willtopicresp: (p: PacketOf<'willtopicresp'>): [number, Buffer] => [MsgType.WILLTOPICRESP, Buffer.from([p.returnCode])],
  willmsgresp: (p: PacketOf<'willmsgresp'>): [number, Buffer] => [MsgType.WILLMSGRESP, Buffer.from([p.returnCode])],
};
