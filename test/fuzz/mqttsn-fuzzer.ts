import dgram from 'node:dgram';
import { encode, type Packet } from '../../server/mqttsn/codec/index.js';
import { encapsulatedPingreq, longPublish, specPackets } from '../fixtures/mqttsn/spec-packets.js';
import { Prng } from './prng.js';

export interface SnFuzzOptions {
  seed: number;
  port: number;
  /** Datagrams in all (bounded: the suite's run is a count, not a time). */
  datagrams: number;
  /** Source sockets, each its own address:port; IPv6 ones when `ipv6`. */
  sockets: number;
  ipv6: boolean;
  /** Client ids bound to an account, so some fuzz sessions get past CONNECT. */
  boundClientIds: string[];
}

const seeds: Buffer[] = [...specPackets.map((p) => Buffer.from(p.bytes)), Buffer.from(longPublish.bytes), Buffer.from(encapsulatedPingreq.bytes)];

const fl = (r: Prng) => ({ dup: r.chance(0.1), qos: r.pick([-1, 0, 1, 2] as const), retain: r.chance(0.1), will: false, cleanSession: r.chance(0.5), topicIdType: 'normal' as const });

/** A well-formed message of a session's kinds, with random fields: what gets past the codec into a session. */
function valid(r: Prng, bound: string[]): Packet {
  const id = r.int(0, 5);
  const msgId = r.int(0, 8);
  switch (r.int(0, 12)) {
    case 0: return { type: 'publish', flags: fl(r), topic: r.pick([{ type: 'normal', id }, { type: 'predefined', id }, { type: 'short', name: 'ab' }] as const), msgId, data: Buffer.from('f') };
    case 1: return { type: 'register', topicId: 0, msgId, topicName: r.pick(['sn/fuzz/a', 'sn/fuzz/b', 'ourhome/x', 'sn/#']) };
    case 2: return { type: 'subscribe', flags: fl(r), msgId, topic: r.pick([{ type: 'name', name: 'sn/fuzz/#' }, { type: 'name', name: 'sn/fuzz/a' }, { type: 'predefined', id }, { type: 'short', name: 'ab' }] as const) };
    case 3: return { type: 'unsubscribe', flags: fl(r), msgId, topic: { type: 'name', name: 'sn/fuzz/#' } };
    case 4: return r.chance(0.5) ? { type: 'pingreq' } : { type: 'pingreq', clientId: r.pick(bound) };
    case 5: return r.chance(0.5) ? { type: 'disconnect' } : { type: 'disconnect', duration: r.int(0, 3) };
    case 6: return { type: 'puback', topicId: id, msgId, returnCode: r.pick([0, 1, 2, 3] as const) };
    case 7: return { type: r.pick(['pubrec', 'pubrel', 'pubcomp'] as const), msgId };
    case 8: return { type: 'regack', topicId: id, msgId, returnCode: r.pick([0, 2] as const) };
    case 9: return { type: 'willtopicupd', flags: fl(r), topic: r.pick(['', 'sn/fuzz/will', 'ourhome/will']) };
    case 10: return { type: 'willmsgupd', message: Buffer.from('w') };
    case 11: return { type: 'willtopic', flags: fl(r), topic: 'sn/fuzz/will' };
    default: return { type: 'willmsg', message: Buffer.from('bye') };
  }
}

/** One fuzz datagram: a specification packet mutated, a CONNECT of a bound id, a well-formed session message, or noise. */
function datagram(r: Prng, bound: string[]): Buffer {
  const kind = r.int(0, 11);
  if (kind >= 10 && bound.length) return encode(valid(r, bound));
  if (kind === 0) return Buffer.from(Array.from({ length: r.int(0, 40) }, () => r.int(0, 255)));
  if (kind === 1 && bound.length) {
    return encode({ type: 'connect', flags: { dup: false, qos: 0, retain: false, will: r.chance(0.3), cleanSession: r.chance(0.5), topicIdType: 'normal' }, protocolId: 1, duration: r.int(0, 5), clientId: r.pick(bound) });
  }
  const b = Buffer.from(r.pick(seeds));
  const mutations = r.int(1, 3);
  for (let i = 0; i < mutations; i++) {
    switch (r.int(0, 5)) {
      case 0: if (b.length) b[r.int(0, b.length - 1)] = r.int(0, 255); break;
      case 1: return b.subarray(0, r.int(0, b.length));
      case 2: return Buffer.concat([b, Buffer.from(Array.from({ length: r.int(1, 8) }, () => r.int(0, 255)))]);
      case 3: if (b.length > 1) b[1] = r.int(0, 0x1f); break; // another MsgType
      case 4: if (b.length) b[0] = r.pick([0x00, 0x01, 0x02, b.length, b.length + 1, 0xff]); break; // the length octet
      default: if (b.length > 2) b[2] = r.int(0, 255); break; // flags / first field
    }
  }
  return b;
}

/** Sends `datagrams` fuzz datagrams from `sockets` sources, a few at a time; resolves with what was sent and answered. */
export async function fuzzMqttSn(opts: SnFuzzOptions): Promise<{ sent: number; answers: number }> {
  const sockets: dgram.Socket[] = [];
  let answers = 0;
  for (let i = 0; i < opts.sockets; i++) {
    const v6 = opts.ipv6 && i % 2 === 1;
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    s.on('message', () => answers++);
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.bind(0, v6 ? '::1' : '127.0.0.1', () => resolve()));
    sockets.push(s);
  }
  let sent = 0;
  try {
    for (let n = 0; sent < opts.datagrams; n++) {
      const batch = sockets.map((s, i) => {
        const r = Prng.derive(opts.seed, n * opts.sockets + i);
        const bytes = datagram(r, opts.boundClientIds);
        sent++;
        return new Promise<void>((resolve) => s.send(bytes, opts.port, (s.address().family === 'IPv6' ? '::1' : '127.0.0.1'), () => resolve()));
      });
      await Promise.all(batch);
      // A pause every batch: the fuzz is about content, not a flood (flood.test-like rates are tested apart).
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    for (const s of sockets) s.close();
  }
  return { sent, answers };
}
