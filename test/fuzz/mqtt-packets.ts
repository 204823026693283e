import type { Prng } from './prng.js';

// Hand-made MQTT 3.1.1 packets, valid and broken on purpose. Every packet type 0-15 is produced; the comments name
// the rule of the spec each broken form violates (OASIS MQTT 3.1.1). mqtt-packet would refuse to encode most of them.

/** The Remaining Length varint (2.2.3); `bytes` forces a longer, non-minimal or over-long encoding. */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function utf8(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(Math.min(b.length, 0xffff));
  return Buffer.concat([len, b]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function frame(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | (flags & 0x0f)]), remainingLength(body.length), body]);
}

export interface Credentials {
  username: string;
  password: string;
}

/** Topic names: ordinary ones, and every way 4.7 and 1.5.3 forbid. */
export function topic(r: Prng): Buffer {
  switch (r.int(0, 11)) {
    case 0: return Buffer.from('ourhome/fuzz/+/light'); // wildcard in a PUBLISH topic [MQTT-3.3.2-2]
    case 1: return Buffer.from('ourhome/fuzz/#'); // ditto
    case 2: return Buffer.from([0x6f, 0xc3, 0x28, 0x2f, 0x61]); // invalid UTF-8 [MQTT-1.5.3-1]
    case 3: return Buffer.from([0x61, 0xed, 0xa0, 0x80]); // UTF-16 surrogate encoded in UTF-8 [MQTT-1.5.3-1]
    case 4: return Buffer.from('ourhome/\u0000/null'); // U+0000 [MQTT-1.5.3-2]
    case 5: return Buffer.alloc(0); // empty topic [MQTT-4.7.3-1]
    case 6: return Buffer.from('$SYS/rumah/fake');
    case 7: return Buffer.from(Array.from({ length: r.int(17, 300) }, (_, i) => `l${i}`).join('/')); // too many levels
    case 8: return Buffer.from('ourhome/' + 'x'.repeat(r.int(1000, 70_000))); // over the length limit (and over u16)
    case 9: return Buffer.from(`ourhome/fuzz${r.int(0, 9)}/room${r.int(0, 9)}/temperature/set`);
    default: return Buffer.from(`ourhome/fuzz${r.int(0, 9)}/room${r.int(0, 9)}/${r.pick(['light', 'temperature', 'contact', 'power'])}`);
  }
}

function filter(r: Prng): Buffer {
  return r.chance(0.5) ? topic(r) : Buffer.from(r.pick(['#', '+/+', 'ourhome/#', '$SYS/#', 'a/#/b', 'a+/b', '#/x', '+', 'ourhome/fuzz1/+/set', '']));
}

function payload(r: Prng): Buffer {
  switch (r.int(0, 5)) {
    case 0: return Buffer.from(r.pick(['on', 'off', '21.5', '{"state":"ON"}', '{"value":', 'null', '[]', '{"__proto__":{"x":1}}']));
    case 1: return r.bytes(r.int(0, 64));
    case 2: return Buffer.from(JSON.stringify({ deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) }));
    case 3: return Buffer.alloc(r.int(0, 100_000), 0x7b);
    default: return Buffer.from(String(r.int(-1000, 1000)));
  }
}

/** A CONNECT, valid unless `broken`: protocol name and level, reserved flag, client id rules (3.1). */
export function connect(r: Prng, creds: Credentials | undefined, broken: boolean): Buffer {
  const name = broken && r.chance(0.3) ? r.pick(['MQTX', 'MQIsdp', '', 'M\u0000TT']) : 'MQTT';
  const level = broken && r.chance(0.3) ? r.pick([0, 3, 5, 6, 255]) : 4;
  let flags = 0x02; // clean session
  const parts: Buffer[] = [];
  const clientId = broken && r.chance(0.2) ? r.pick([Buffer.alloc(0), Buffer.from([0xc3, 0x28]), Buffer.from('x'.repeat(300))]) : Buffer.from(`fz-${r.text(8).replace(/[^A-Za-z0-9]/g, 'x')}`);
  if (clientId.length === 0 && r.chance(0.5)) flags = 0; // empty id without clean session [MQTT-3.1.3-8]
  parts.push(utf8(clientId));
  if (r.chance(0.3)) {
    flags |= 0x04 | (r.int(0, broken ? 3 : 2) << 3) | (r.chance(0.3) ? 0x20 : 0); // will, will QoS (3 is invalid), will retain
    parts.push(utf8(topic(r)), utf8(payload(r).subarray(0, 1000)));
  }
  if (creds && !(broken && r.chance(0.2))) {
    flags |= 0xc0;
    parts.push(utf8(creds.username), utf8(r.chance(0.9) ? creds.password : 'wrong'));
  } else if (broken && r.chance(0.3)) {
    flags |= 0x40; // password flag without username [MQTT-3.1.2-22]
    parts.push(utf8('only-password'));
  }
  if (broken && r.chance(0.3)) flags |= 0x01; // reserved flag must be 0 [MQTT-3.1.2-3]
  const keepalive = broken && r.chance(0.3) ? r.pick([0, 65535]) : r.int(5, 120);
  const body = Buffer.concat([utf8(name), Buffer.from([level, flags]), u16(keepalive), ...parts]);
  return frame(1, broken && r.chance(0.2) ? r.int(1, 15) : 0, body);
}

/** Any packet after CONNECT: every type, flags right or wrong. */
export function anyPacket(r: Prng, creds: Credentials | undefined): Buffer {
  const type = r.int(0, 15);
  const id = r.chance(0.1) ? 0 : r.int(1, 65535); // packet id 0 is invalid [MQTT-2.3.1-1]
  switch (type) {
    case 1: return connect(r, creds, r.chance(0.5)); // a second CONNECT [MQTT-3.1.0-2]
    case 3: {
      const qos = r.pick([0, 0, 1, 1, 2, 3]); // QoS 3 [MQTT-3.3.1-4]
      const flags = (qos << 1) | (r.chance(0.2) ? 1 : 0) | (r.chance(0.1) ? 8 : 0);
      const body = Buffer.concat([utf8(topic(r)), qos > 0 ? u16(id) : Buffer.alloc(0), payload(r)]);
      return frame(3, flags, body);
    }
    case 8: case 10: {
      const entries = Array.from({ length: r.chance(0.1) ? 0 : r.int(1, 4) }, () => {
        const f = utf8(filter(r));
        return type === 8 ? Buffer.concat([f, Buffer.from([r.chance(0.8) ? r.int(0, 2) : r.int(3, 255)])]) : f; // QoS 3 / reserved bits [MQTT-3.8.3-4]
      });
      return frame(type, r.chance(0.8) ? 0x02 : r.int(0, 15), Buffer.concat([u16(id), ...entries])); // flags must be 0010 [MQTT-3.8.1-1]
    }
    case 4: case 5: case 6: case 7:
      return frame(type, type === 6 ? (r.chance(0.8) ? 0x02 : r.int(0, 15)) : (r.chance(0.8) ? 0 : r.int(1, 15)), u16(id)); // PUBREL flags 0010 [MQTT-3.6.1-1]
    case 12: case 14:
      return frame(type, r.chance(0.8) ? 0 : r.int(1, 15), r.chance(0.9) ? Buffer.alloc(0) : r.bytes(r.int(1, 8)));
    default:
      // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client; 0 and 15 are reserved in 3.1.1 [MQTT-2.2.1].
      return frame(type, r.int(0, 15), r.bytes(r.int(0, 16)));
  }
}

/** Breaks an encoded packet: bit flips, truncation, junk, lying or over-long lengths. */
export function mutate(r: Prng, packet: Buffer): Buffer {
  const b = Buffer.from(packet);
  switch (r.int(0, 6)) {
    case 0: {
      for (let i = r.int(1, 4); i > 0 && b.length; i--) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
      return b;
    }
    case 1: return b.subarray(0, r.int(0, Math.max(0, b.length - 1)));
    case 2: return Buffer.concat([b.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), b.subarray(2)]); // 5-byte length [MQTT-2.2.3]
    case 3: return Buffer.concat([b.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0x7f])]); // 268,435,455 bytes announced
    case 4: return Buffer.concat([b.subarray(0, 1), remainingLength(Math.max(0, b.length - 2 + r.int(-3, 3))), b.subarray(2)]); // lies about the length
    case 5: return Buffer.concat([b, r.bytes(r.int(1, 64))]);
    default: return r.bytes(r.int(1, 256));
  }
}
