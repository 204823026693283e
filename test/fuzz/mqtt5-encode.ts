import { remainingLength } from './mqtt-packets.js';

// MQTT 5 packets encoded by hand, valid and broken on purpose, for the v5 fuzzer (mqtt5-packets.ts makes random ones) and the deterministic malformed
// tests (test/flows/mqtt5-malformed.test.ts). Properties are encoded by hand here, byte by byte, so that a packet
// can carry what mqtt-packet's generate() refuses or cannot express: a property twice, a property of another packet
// type, a string that is not UTF-8, a length that lies. The comments cite OASIS MQTT 5.0 (section or [MQTT-x.y.z-n]).

/** Property identifiers (MQTT 5.0 2.2.2.2, table 2-4). */
export const P = {
  payloadFormatIndicator: 0x01,
  messageExpiryInterval: 0x02,
  contentType: 0x03,
  responseTopic: 0x08,
  correlationData: 0x09,
  subscriptionIdentifier: 0x0b,
  sessionExpiryInterval: 0x11,
  assignedClientIdentifier: 0x12,
  serverKeepAlive: 0x13,
  authenticationMethod: 0x15,
  authenticationData: 0x16,
  requestProblemInformation: 0x17,
  willDelayInterval: 0x18,
  requestResponseInformation: 0x19,
  responseInformation: 0x1a,
  serverReference: 0x1c,
  reasonString: 0x1f,
  receiveMaximum: 0x21,
  topicAliasMaximum: 0x22,
  topicAlias: 0x23,
  maximumQoS: 0x24,
  retainAvailable: 0x25,
  userProperty: 0x26,
  maximumPacketSize: 0x27,
  wildcardSubscriptionAvailable: 0x28,
  subscriptionIdentifiersAvailable: 0x29,
  sharedSubscriptionAvailable: 0x2a,
} as const;

export type Kind = 'byte' | 'u16' | 'u32' | 'vbi' | 'str' | 'bin' | 'pair';
export const kinds: Record<number, Kind> = {
  0x01: 'byte', 0x02: 'u32', 0x03: 'str', 0x08: 'str', 0x09: 'bin', 0x0b: 'vbi', 0x11: 'u32', 0x12: 'str', 0x13: 'u16',
  0x15: 'str', 0x16: 'bin', 0x17: 'byte', 0x18: 'u32', 0x19: 'byte', 0x1a: 'str', 0x1c: 'str', 0x1f: 'str', 0x21: 'u16',
  0x22: 'u16', 0x23: 'u16', 0x24: 'byte', 0x25: 'byte', 0x26: 'pair', 0x27: 'u32', 0x28: 'byte', 0x29: 'byte', 0x2a: 'byte',
};

export function vbi(n: number): Buffer {
  return remainingLength(n);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A length-prefixed UTF-8 string or binary (1.5.4, 1.5.6); bytes are taken as they are, valid UTF-8 or not. */
export function lp(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(Math.min(b.length, 0xffff)), b]);
}

/** One property: identifier and value, encoded as the identifier's type says (or as `kind` forces). */
export function prop(id: number, value: number | string | Buffer | [string | Buffer, string | Buffer], kind: Kind = kinds[id] ?? 'byte'): Buffer {
  const head = Buffer.from([id]);
  switch (kind) {
    case 'byte': return Buffer.concat([head, Buffer.from([Number(value) & 0xff])]);
    case 'u16': return Buffer.concat([head, u16(Number(value))]);
    case 'u32': return Buffer.concat([head, u32(Number(value))]);
    case 'vbi': return Buffer.concat([head, vbi(Number(value))]);
    case 'str': case 'bin': return Buffer.concat([head, lp(value as string | Buffer)]);
    case 'pair': {
      const [k, v] = value as [string | Buffer, string | Buffer];
      return Buffer.concat([head, lp(k), lp(v)]);
    }
  }
}

/** A property block: its length (a Variable Byte Integer) and the properties (2.2.2). */
export function props(...list: Buffer[]): Buffer {
  const body = Buffer.concat(list);
  return Buffer.concat([vbi(body.length), body]);
}

export const noProps = props();

export function frame(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | (flags & 0x0f)]), remainingLength(body.length), body]);
}

export interface Will5 {
  topic: string | Buffer;
  payload: Buffer;
  qos?: number;
  retain?: boolean;
  props?: Buffer;
}

export interface Connect5 {
  clientId: string | Buffer;
  username?: string;
  password?: string;
  keepalive?: number;
  clean?: boolean;
  props?: Buffer;
  will?: Will5;
}

/** A v5 CONNECT (3.1), its property blocks as given. */
export function connect5(c: Connect5): Buffer {
  let flags = c.clean === false ? 0 : 0x02;
  const parts: Buffer[] = [lp(c.clientId)];
  if (c.will) {
    flags |= 0x04 | ((c.will.qos ?? 0) << 3) | (c.will.retain ? 0x20 : 0);
    parts.push(c.will.props ?? noProps, lp(c.will.topic), lp(c.will.payload));
  }
  if (c.username !== undefined) {
    flags |= 0x80;
    parts.push(lp(c.username));
  }
  if (c.password !== undefined) {
    flags |= 0x40;
    parts.push(lp(c.password));
  }
  const body = Buffer.concat([lp('MQTT'), Buffer.from([5, flags]), u16(c.keepalive ?? 60), c.props ?? noProps, ...parts]);
  return frame(1, 0, body);
}

export interface Publish5 {
  topic: string | Buffer;
  qos?: number;
  id?: number;
  retain?: boolean;
  dup?: boolean;
  props?: Buffer;
  payload?: Buffer | string;
}

/** A v5 PUBLISH (3.3). */
export function publish5(p: Publish5): Buffer {
  const qos = p.qos ?? 0;
  const flags = (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload ?? Buffer.alloc(0);
  return frame(3, flags, Buffer.concat([lp(p.topic), qos > 0 ? u16(p.id ?? 1) : Buffer.alloc(0), p.props ?? noProps, payload]));
}

/** A v5 SUBSCRIBE (3.8): filters with their option bytes. */
export function subscribe5(id: number, properties: Buffer, entries: Array<[string | Buffer, number]>): Buffer {
  return frame(8, 2, Buffer.concat([u16(id), properties, ...entries.map(([f, o]) => Buffer.concat([lp(f), Buffer.from([o & 0xff])]))]));
}

/** A v5 UNSUBSCRIBE (3.10). */
export function unsubscribe5(id: number, properties: Buffer, filters: Array<string | Buffer>): Buffer {
  return frame(10, 2, Buffer.concat([u16(id), properties, ...filters.map(lp)]));
}

/** PUBACK (4), PUBREC (5), PUBREL (6, flags 0010), PUBCOMP (7) with a reason code and properties (3.4-3.7). */
export function ack5(type: 4 | 5 | 6 | 7, id: number, reason: number, properties?: Buffer): Buffer {
  return frame(type, type === 6 ? 2 : 0, Buffer.concat([u16(id), Buffer.from([reason]), properties ?? Buffer.alloc(0)]));
}

/** A v5 DISCONNECT (3.14). */
export function disconnect5(reason: number, properties?: Buffer): Buffer {
  return frame(14, 0, Buffer.concat([Buffer.from([reason]), properties ?? Buffer.alloc(0)]));
}

/** An AUTH (3.15). */
export function auth5(reason: number, properties: Buffer): Buffer {
  return frame(15, 0, Buffer.concat([Buffer.from([reason]), properties]));
}
