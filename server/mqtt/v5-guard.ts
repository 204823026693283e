import { isUtf8 } from 'node:buffer';
import type { Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { clientInternals } from './aedes-internals.js';

/**
 * MQTT 5 packets checked as the spec says, before aedes 2.0.0-beta.1 acts on them, and the answer it requires.
 *
 * mqtt-packet 9 parses a v5 property block leniently: a property given twice becomes an array (or, when its first
 * value is falsy, is silently replaced), a property of another packet type is accepted, ill-formed UTF-8 is decoded
 * to U+FFFD. aedes then acts on what it got: a CONNECT or DISCONNECT with Session Expiry Interval twice made the
 * interval an array, NaN seconds at close, and aedes's armLongTimer threw out of the socket's close handler — the
 * hub process ended (found by the MQTT 5 fuzz). A PUBLISH with its properties twice was forwarded as it came to
 * every subscriber, whose own MQTT 5 parser may refuse it: one bad publisher broke other clients' connections.
 * And every packet the parser or aedes refused ended in a bare close, where 4.13.1 asks for a reason code.
 *
 * Here, on the wire bytes of each property block (mqtt-packet's parser, one per client, is wrapped):
 * - an identifier unknown or not valid for the packet type (2.2.2.2, table 2-4), a block whose length disagrees with
 *   its properties or runs past the packet (2.2.2.1), a value cut short, a Variable Byte Integer over 4 bytes or not
 *   minimal (1.5.5), a string that is ill-formed UTF-8 or holds U+0000 (1.5.4 [MQTT-1.5.4-1], [MQTT-1.5.4-2]):
 *   Malformed Packet, 0x81;
 * - a property other than User Property given twice, Receive Maximum or Maximum Packet Size 0, Subscription
 *   Identifier 0 (3.8.2.1.2), a 0/1 byte property with another value (3.1.2.11.7, 3.1.2.11.6, 3.3.2.3.2), a
 *   Subscription Identifier in a client's PUBLISH [MQTT-3.3.4-6]: Protocol Error, 0x82;
 * and on whole packets: a second CONNECT [MQTT-3.1.0-2], AUTH (enhanced authentication is not offered: a CONNECT
 * with an Authentication Method is refused with CONNACK 0x8C, 4.12), a PUBLISH with an empty topic and no Topic
 * Alias (3.3.2.1), a packet only a server sends: Protocol Error, 0x82; anything mqtt-packet cannot parse: 0x81.
 *
 * The answer (4.13.1): a CONNECT gets a CONNACK with the reason code, any other packet a DISCONNECT with it, then the
 * connection is closed and nothing more of it is read; the packet never reaches aedes. Only that client is affected.
 * MQTT 3.1.1 clients are left to aedes as before (their parser never reads property blocks).
 */

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;

type Kind = 'byte' | 'u16' | 'u32' | 'vbi' | 'str' | 'bin' | 'pair';
/** Where a block is: the packet type, or the will properties of a CONNECT. */
type Place = 'connect' | 'will' | 'publish' | 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'subscribe' | 'unsubscribe' | 'disconnect' | 'auth';

const ack: Place[] = ['puback', 'pubrec', 'pubrel', 'pubcomp'];
/** Table 2-4, as a client may send them. */
const properties: Record<number, { name: string; kind: Kind; places: readonly Place[] }> = {
  0x01: { name: 'Payload Format Indicator', kind: 'byte', places: ['publish', 'will'] },
  0x02: { name: 'Message Expiry Interval', kind: 'u32', places: ['publish', 'will'] },
  0x03: { name: 'Content Type', kind: 'str', places: ['publish', 'will'] },
  0x08: { name: 'Response Topic', kind: 'str', places: ['publish', 'will'] },
  0x09: { name: 'Correlation Data', kind: 'bin', places: ['publish', 'will'] },
  0x0b: { name: 'Subscription Identifier', kind: 'vbi', places: ['publish', 'subscribe'] },
  0x11: { name: 'Session Expiry Interval', kind: 'u32', places: ['connect', 'disconnect'] },
  0x12: { name: 'Assigned Client Identifier', kind: 'str', places: [] },
  0x13: { name: 'Server Keep Alive', kind: 'u16', places: [] },
  0x15: { name: 'Authentication Method', kind: 'str', places: ['connect', 'auth'] },
  0x16: { name: 'Authentication Data', kind: 'bin', places: ['connect', 'auth'] },
  0x17: { name: 'Request Problem Information', kind: 'byte', places: ['connect'] },
  0x18: { name: 'Will Delay Interval', kind: 'u32', places: ['will'] },
  0x19: { name: 'Request Response Information', kind: 'byte', places: ['connect'] },
  0x1a: { name: 'Response Information', kind: 'str', places: [] },
  0x1c: { name: 'Server Reference', kind: 'str', places: ['disconnect'] },
  0x1f: { name: 'Reason String', kind: 'str', places: [...ack, 'disconnect', 'auth'] },
  0x21: { name: 'Receive Maximum', kind: 'u16', places: ['connect'] },
  0x22: { name: 'Topic Alias Maximum', kind: 'u16', places: ['connect'] },
  0x23: { name: 'Topic Alias', kind: 'u16', places: ['publish'] },
  0x24: { name: 'Maximum QoS', kind: 'byte', places: [] },
  0x25: { name: 'Retain Available', kind: 'byte', places: [] },
  0x26: { name: 'User Property', kind: 'pair', places: ['connect', 'will', 'publish', ...ack, 'subscribe', 'unsubscribe', 'disconnect', 'auth'] },
  0x27: { name: 'Maximum Packet Size', kind: 'u32', places: ['connect'] },
  0x28: { name: 'Wildcard Subscription Available', kind: 'byte', places: [] },
  0x29: { name: 'Subscription Identifier Available', kind: 'byte', places: [] },
  0x2a: { name: 'Shared Subscription Available', kind: 'byte', places: [] },
};
/** Byte properties whose only values are 0 and 1. */
const zeroOrOne = new Set([0x01, 0x17, 0x19]);
/** Properties whose value 0 is a Protocol Error (Subscription Identifier: 3.8.2.1.2; the others 3.1.2.11.3/.4). */
const notZero = new Set([0x0b, 0x21, 0x27]);
const optionalBlock = new Set<string>([...ack, 'disconnect', 'auth']);
const places = new Set<string>(['connect', 'will', 'publish', ...ack, 'subscribe', 'unsubscribe', 'disconnect', 'auth']);

export interface Violation {
  code: typeof MALFORMED | typeof PROTOCOL_ERROR;
  why: string;
}

/** The few bytes-reading methods of the bl BufferList mqtt-packet keeps its input in. */
interface Bytes {
  readonly length: number;
  readUInt8(offset: number): number;
  slice(start: number, end: number): Buffer;
}

/** A Variable Byte Integer at `at`: its value and size, or a violation (1.5.5). */
function readVbi(b: Bytes, at: number, end: number): { value: number; size: number } | Violation {
  let value = 0;
  for (let i = 0, mul = 1; i < 4; i++, mul *= 128) {
    if (at + i >= end) return { code: MALFORMED, why: 'Variable Byte Integer cut short' };
    const byte = b.readUInt8(at + i);
    value += (byte & 0x7f) * mul;
    if (!(byte & 0x80)) {
      if (i > 0 && byte === 0) return { code: MALFORMED, why: 'Variable Byte Integer not in its shortest form' };
      return { value, size: i + 1 };
    }
  }
  return { code: MALFORMED, why: 'Variable Byte Integer longer than 4 bytes' };
}

const isViolation = (v: object): v is Violation => 'code' in v;

/** A UTF-8 Encoded String's bytes (1.5.4). */
function badString(s: Buffer): string | undefined {
  if (!isUtf8(s)) return 'ill-formed UTF-8';
  if (s.includes(0)) return 'U+0000';
  return undefined;
}

/** Each place as one bit, and each property's places as a mask of them (by identifier): a test, not a list search. */
const placeBit = new Map<Place, number>([...places].map((p, i) => [p as Place, 1 << i]));
const placeMask: number[] = [];
for (const [id, p] of Object.entries(properties)) placeMask[Number(id)] = p.places.reduce((m, pl) => m | placeBit.get(pl)!, 0);

/**
 * Checks the property block at `start` of a packet whose body (after the fixed header) is `b[0, packetEnd)`, in
 * `place`, as sent by a client (or, `fromServer`, a PUBLISH as a server sends it: Subscription Identifiers allowed,
 * any number of them [MQTT-3.3.4-4]; the MQTT 5 fuzz checks what the hub forwards with it). Returns the block's
 * end, or what is wrong with it.
 */
export function checkPropertyBlock(b: Bytes, start: number, packetEnd: number, place: Place, fromServer = false): { end: number } | Violation {
  // An acknowledgement, DISCONNECT or AUTH may end before its Property Length: no properties (3.4.2.2, 3.14.2.2, 3.15.2.2).
  if (start >= packetEnd && optionalBlock.has(place)) return { end: start };
  const end = Math.min(packetEnd, b.length);
  const len = readVbi(b, start, end);
  if (isViolation(len)) return { code: MALFORMED, why: `Property Length: ${len.why}` };
  const blockEnd = start + len.size + len.value;
  if (blockEnd > end) return { code: MALFORMED, why: 'Property Length runs past the packet' };
  if (len.value === 0) return { end: blockEnd };
  // The block taken out once: mqtt-packet keeps its input in a list of buffers, whose readUInt8 looks up the buffer
  // for each byte (a view when the block lies in one buffer, as it nearly always does).
  const blk = b.slice(start + len.size, blockEnd);
  const size = blk.length;
  const bit = placeBit.get(place)!;
  // Identifiers seen, as bits (all are below 64).
  let seenLow = 0;
  let seenHigh = 0;
  let at = 0;
  while (at < size) {
    const id = blk[at++]!;
    const p = properties[id];
    if (!p) return { code: MALFORMED, why: `unknown property identifier 0x${id.toString(16)}` };
    if (!(placeMask[id]! & bit)) return { code: MALFORMED, why: `${p.name} is not a property of ${place === 'will' ? 'a will' : place.toUpperCase()}` };
    const forwardedSi = fromServer && id === 0x0b && place === 'publish';
    if (id !== 0x26 && !forwardedSi) {
      const flag = 1 << (id & 31);
      const seen = id < 32 ? seenLow : seenHigh;
      if (seen & flag) return { code: PROTOCOL_ERROR, why: `${p.name} more than once` };
      if (id < 32) seenLow |= flag;
      else seenHigh |= flag;
    }
    if (id === 0x0b && place === 'publish' && !fromServer) return { code: PROTOCOL_ERROR, why: 'Subscription Identifier in a PUBLISH from a client [MQTT-3.3.4-6]' };
    let value: number | undefined;
    switch (p.kind) {
      case 'byte': case 'u16': case 'u32': {
        const n = p.kind === 'byte' ? 1 : p.kind === 'u16' ? 2 : 4;
        if (at + n > size) return { code: MALFORMED, why: `${p.name} cut short` };
        value = 0;
        for (let i = 0; i < n; i++) value = value * 256 + blk[at + i]!;
        at += n;
        break;
      }
      case 'vbi': {
        const v = readVbi(blk, at, size);
        if (isViolation(v)) return { code: MALFORMED, why: `${p.name}: ${v.why}` };
        value = v.value;
        at += v.size;
        break;
      }
      default: {
        for (let n = p.kind === 'pair' ? 2 : 1; n > 0; n--) {
          if (at + 2 > size) return { code: MALFORMED, why: `${p.name} cut short` };
          const length = blk[at]! * 256 + blk[at + 1]!;
          if (at + 2 + length > size) return { code: MALFORMED, why: `${p.name} runs past the Property Length` };
          if (p.kind !== 'bin') {
            const bad = badString(blk.subarray(at + 2, at + 2 + length));
            if (bad) return { code: MALFORMED, why: `${bad} in ${p.name}` };
          }
          at += 2 + length;
        }
      }
    }
    if (value !== undefined) {
      if (zeroOrOne.has(id) && value > 1) return { code: PROTOCOL_ERROR, why: `${p.name} ${value}, neither 0 nor 1` };
      if (notZero.has(id) && value === 0) return { code: PROTOCOL_ERROR, why: `${p.name} 0` };
    }
  }
  return { end: blockEnd };
}

/** mqtt-packet's Parser beyond its typings (parser.js). */
interface ParserInternals extends NodeJS.EventEmitter {
  _pos: number;
  _list: Bytes;
  packet: { cmd: string; length: number; protocolVersion?: number; topic?: string | null; properties?: { topicAlias?: unknown } };
  error: Error | null;
  _parseProperties(): unknown;
}

const violationOf = Symbol('rumah.v5Violation');
const blocksOf = Symbol('rumah.v5Blocks');
type Marked = ParserInternals['packet'] & { [violationOf]?: Violation; [blocksOf]?: number };

/** Packets only a server sends; from a client, a Protocol Error. */
const serverOnly = new Set(['connack', 'suback', 'unsuback', 'pingresp']);

/** What the guard keeps per connection, in one number on the client's parser (no closure per connection). */
const stateOf = Symbol('rumah.v5State');
const SAW_CONNECT = 1;
const V5 = 2;
const ENDED = 4;
type GuardedParser = ParserInternals & { [stateOf]?: number; client?: Client };

/**
 * Puts the checks above between each client's parser and aedes: `attach` hooks a client's property-block parsing,
 * `packet` and `error` see what its parser emits before aedes's listeners do (parser-hooks.ts) and return true for
 * what they took (aedes never sees it). `report` is told of every connection ended here.
 */
export function mqtt5Guard(report: (client: Client, why: string, code: number) => void): {
  attach(client: Client): void;
  packet(client: Client, parser: NodeJS.EventEmitter, packet: unknown): boolean;
  error(client: Client, parser: NodeJS.EventEmitter, err: Error): boolean;
} {
  let inherited: ParserInternals['_parseProperties'] | undefined;
  // One function for every parser (`this` the parser), over mqtt-packet's own Parser.prototype._parseProperties.
  const parseProperties = function (this: ParserInternals): unknown {
    check(this);
    return inherited!.call(this);
  };
  const check = (parser: ParserInternals): void => {
    const packet = parser.packet as Marked;
    const start = parser._pos;
    // A CONNECT has two blocks, its own and its will's; other packets one, and they are not marked (a property added
    // to every PUBLISH would give it a shape of its own on its way through aedes).
    const will = packet.cmd === 'connect' && (packet[blocksOf] = (packet[blocksOf] ?? 0) + 1) > 1;
    if (packet[violationOf] === undefined) {
      const place = will ? 'will' : packet.cmd;
      if (places.has(place)) {
        const checked = checkPropertyBlock(parser._list, start, packet.length, place as Place);
        if (isViolation(checked)) packet[violationOf] = checked;
      }
    }
  };

  const end = (client: Client, parser: GuardedParser, v: Violation, connect: boolean): void => {
    parser[stateOf] = (parser[stateOf] ?? 0) | ENDED;
    const c = clientInternals(client);
    report(client, v.why, v.code);
    c.pause();
    if (connect) {
      // Not yet a client of aedes's (its version is unset): the CONNACK is written here, then the connection closed
      // once it is out (the write coalescer flushes in a setImmediate queued before this one).
      mqttPacket.writeToStream({ cmd: 'connack', reasonCode: v.code, sessionPresent: false }, c.conn as unknown as NodeJS.WritableStream, { protocolVersion: 5 });
      setImmediate(() => c.close());
      return;
    }
    // A DISCONNECT, with the reason as a Reason String unless that could exceed the client's Maximum Packet Size
    // [MQTT-3.14.2-3]. aedes writes one only to a connected client: a bad packet that came in the same read as the
    // CONNECT is answered once the CONNACK is out and the packets before it are handled (a refused login closes
    // the connection without it).
    const disconnect = (): void => {
      const max = c.maximumPacketSize;
      const properties = max === undefined || Buffer.byteLength(v.why) + 16 <= max ? { reasonString: v.why } : undefined;
      c.disconnect({ reasonCode: v.code, ...(properties ? { properties } : {}) });
    };
    if (c.connected || c.closed) disconnect();
    else (client as unknown as NodeJS.EventEmitter).once('connected', disconnect);
  };

  return {
    attach(client) {
      const parser = clientInternals(client)._parser as unknown as ParserInternals;
      const own = parser._parseProperties;
      if (Object.hasOwn(parser, '_parseProperties') || (inherited !== undefined && inherited !== own)) {
        parser._parseProperties = function (this: ParserInternals) {
          check(this);
          return own.call(this);
        };
        return;
      }
      inherited = own;
      parser._parseProperties = parseProperties;
    },

    // Whether this connection's CONNECT said MQTT 5: set by the parser's first CONNECT, before aedes reads its version
    // (packets that came in the same read as the CONNECT are parsed, and queued by aedes, before it does).
    packet(client, emitter, p) {
      const parser = emitter as GuardedParser;
      const packet = p as Marked;
      let state = parser[stateOf] ?? 0;
      if (state & ENDED) return true;
      const first = packet.cmd === 'connect' && !(state & SAW_CONNECT);
      if (first) {
        state |= SAW_CONNECT | (packet.protocolVersion === 5 ? V5 : 0);
        parser[stateOf] = state;
      }
      if (!(state & V5)) return false;
      let v = packet[violationOf];
      if (!v && !first) {
        if (packet.cmd === 'connect') v = { code: PROTOCOL_ERROR, why: 'a second CONNECT [MQTT-3.1.0-2]' };
        else if (packet.cmd === 'auth') v = { code: PROTOCOL_ERROR, why: 'AUTH without an Authentication Method in CONNECT (enhanced authentication is not supported)' };
        else if (serverOnly.has(packet.cmd)) v = { code: PROTOCOL_ERROR, why: `${packet.cmd.toUpperCase()} is sent by a server, not a client` };
        else if (packet.cmd === 'publish' && packet.topic === '' && packet.properties?.topicAlias === undefined) v = { code: PROTOCOL_ERROR, why: 'PUBLISH with an empty topic and no Topic Alias' };
      }
      if (!v) return false;
      end(client, parser, v, first);
      return true;
    },

    error(client, emitter, err) {
      const parser = emitter as GuardedParser;
      const state = parser[stateOf] ?? 0;
      if (state & ENDED) return true;
      const packet = parser.packet as Marked;
      const connect = packet.cmd === 'connect' && !(state & SAW_CONNECT);
      if (!(state & V5) && !(connect && packet.protocolVersion === 5)) return false;
      end(client, parser, packet[violationOf] ?? { code: MALFORMED, why: `malformed packet: ${err.message}` }, connect);
      return true;
    },
  };
}
