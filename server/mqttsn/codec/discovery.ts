// §5.4.1 ADVERTISE, §5.4.2 SEARCHGW, §5.4.3 GWINFO: finding a gateway.
import { fail } from './header.js';
import { MsgType, type Decoded, type Packet, type PacketOf } from './types.js';

export const discoveryDecoders: Record<number, (body: Buffer) => Decoded<Packet>> = {
  // §5.4.1: GwId (1) | Duration (2): seconds until the next ADVERTISE.
  [MsgType.ADVERTISE]: (b) => (b.length === 3 ? { ok: true, value: { type: 'advertise', gwId: b[0]!, duration: b.readUInt16BE(1) } } : fail(`ADVERTISE body is 3 octets, not ${b.length}`)),
  // §5.4.2: Radius (1).
  [MsgType.SEARCHGW]: (b) => (b.length === 1 ? { ok: true, value: { type: 'searchgw', radius: b[0]! } } : fail(`SEARCHGW body is 1 octet, not ${b.length}`)),
  // §5.4.3: GwId (1) | GwAdd (variable, present only when a client answers for a gateway).
  [MsgType.GWINFO]: (b) => (b.length >= 1 ? { ok: true, value: { type: 'gwinfo', gwId: b[0]!, ...(b.length > 1 ? { gwAdd: Buffer.from(b.subarray(1)) } : {}) } } : fail('GWINFO without GwId')),
};

export const discoveryEncoders = {
  advertise: (p: PacketOf<'advertise'>): [number, Buffer] => {
    const b = Buffer.alloc(3);
    b[0] = p.gwId;
    b.writeUInt16BE(p.duration, 1);
    return [MsgType.ADVERTISE, b];
  },
  searchgw: (p: PacketOf<'searchgw'>): [number, Buffer] => [MsgType.SEARCHGW, Buffer.from([p.radius])],
  gwinfo: (p: PacketOf<'gwinfo'>): [number, Buffer] => [MsgType.GWINFO, Buffer.concat([Buffer.from([p.gwId]), p.gwAdd ?? Buffer.alloc(0)])],
};
