import mqttPacket from 'mqtt-packet';
import type { Prng } from './prng.js';
import { remainingLength, topic as anyTopic, type Credentials } from './mqtt-packets.js';
import { P, ack5, auth5, connect5, disconnect5, frame, kinds, prop, props, publish5, subscribe5, u16, unsubscribe5, vbi, type Kind } from './mqtt5-encode.js';

// Random MQTT 5 packets for the v5 fuzzer (mqtt5-fuzzer.ts), from the hand encoders in mqtt5-encode.ts (re-exported
// here for the tests that build packets one by one).
export * from './mqtt5-encode.js';

// ---------------------------------------------------------------------------------------------------------------
// Random packets for the fuzzer.

const invalidUtf8 = [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff, 0xfe]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

function text(r: Prng): string | Buffer {
  switch (r.int(0, 9)) {
    case 0: return r.pick(invalidUtf8); // ill-formed UTF-8 [MQTT-1.5.4-1]
    case 1: return 'a\u0000b'; // U+0000 [MQTT-1.5.4-2]
    case 2: return 'x'.repeat(r.int(200, 5000));
    case 3: return '';
    default: return r.text(r.int(1, 16));
  }
}

/** A property of any identifier (0-0x2f, so also unknown ones), its value sometimes out of range. */
export function randomProp(r: Prng, id: number = r.chance(0.9) ? r.pick(Object.values(P)) : r.int(0, 0x7f)): Buffer {
  const kind = kinds[id] ?? r.pick<Kind>(['byte', 'u16', 'u32', 'vbi', 'str', 'bin', 'pair']);
  switch (kind) {
    case 'byte': return prop(id, r.chance(0.8) ? r.int(0, 1) : r.int(2, 255), kind); // 0/1 only [MQTT-3.1.2.11.7]
    case 'u16': return prop(id, r.chance(0.2) ? 0 : r.int(1, 65535), kind); // 0 forbidden for Receive Maximum, Topic Alias
    case 'u32': return prop(id, r.pick([0, 1, 60, 3600, 0xffffffff, r.int(0, 2 ** 31)]), kind);
    case 'vbi': return prop(id, r.pick([0, 1, r.int(2, 1000), 268_435_455]), kind);
    case 'str': return prop(id, text(r), kind);
    case 'bin': return prop(id, r.bytes(r.int(0, 64)), kind);
    case 'pair': return prop(id, [text(r), text(r)], kind);
  }
}

/** Properties allowed on this packet (table 2-4), each at most once, with ordinary values. */
function validProps(r: Prng, cmd: 'connect' | 'will' | 'publish' | 'subscribe' | 'unsubscribe' | 'ack' | 'disconnect' | 'auth'): Buffer[] {
  const out: Buffer[] = [];
  const user = (): void => {
    for (let i = r.int(0, 3); i > 0; i--) out.push(prop(P.userProperty, [r.text(r.int(1, 8)), r.text(r.int(0, 16))]));
  };
  switch (cmd) {
    case 'connect':
      if (r.chance(0.5)) out.push(prop(P.sessionExpiryInterval, r.pick([0, 10, 3600])));
      if (r.chance(0.3)) out.push(prop(P.receiveMaximum, r.int(1, 100)));
      if (r.chance(0.3)) out.push(prop(P.maximumPacketSize, r.int(128, 1_000_000)));
      if (r.chance(0.3)) out.push(prop(P.topicAliasMaximum, r.int(0, 20)));
      if (r.chance(0.2)) out.push(prop(P.requestProblemInformation, r.int(0, 1)));
      if (r.chance(0.2)) out.push(prop(P.requestResponseInformation, r.int(0, 1)));
      break;
    case 'will':
      if (r.chance(0.3)) out.push(prop(P.willDelayInterval, r.int(0, 5)));
      if (r.chance(0.3)) out.push(prop(P.payloadFormatIndicator, r.int(0, 1)));
      if (r.chance(0.3)) out.push(prop(P.contentType, 'text/plain'));
      break;
    case 'publish':
      if (r.chance(0.3)) out.push(prop(P.payloadFormatIndicator, r.int(0, 1)));
      if (r.chance(0.3)) out.push(prop(P.messageExpiryInterval, r.int(1, 3600)));
      if (r.chance(0.3)) out.push(prop(P.contentType, r.pick(['application/json', 'text/plain'])));
      if (r.chance(0.2)) out.push(prop(P.responseTopic, 'fuzz5/reply'));
      if (r.chance(0.2)) out.push(prop(P.correlationData, r.bytes(r.int(0, 16))));
      if (r.chance(0.2)) out.push(prop(P.topicAlias, r.int(1, 40)));
      break;
    case 'subscribe':
      if (r.chance(0.3)) out.push(prop(P.subscriptionIdentifier, r.int(1, 10_000)));
      break;
    case 'auth':
      out.push(prop(P.authenticationMethod, r.pick(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'x'])));
      if (r.chance(0.7)) out.push(prop(P.authenticationData, r.bytes(r.int(0, 32))));
      if (r.chance(0.2)) out.push(prop(P.reasonString, 'continue'));
      break;
    case 'ack': case 'disconnect':
      if (r.chance(0.3)) out.push(prop(P.reasonString, r.text(r.int(0, 20))));
      if (cmd === 'disconnect' && r.chance(0.2)) out.push(prop(P.sessionExpiryInterval, 0));
      break;
  }
  if (cmd !== 'will' || r.chance(0.5)) user();
  return out;
}

/** A property block for `cmd`: valid (often), or with a duplicate, a foreign or unknown property, a bad value. */
export function randomProps(r: Prng, cmd: Parameters<typeof validProps>[1], validOnly = false): Buffer {
  const list = validProps(r, cmd);
  if (!validOnly && r.chance(0.5)) {
    for (let i = r.int(1, 3); i > 0; i--) {
      switch (r.int(0, 3)) {
        case 0: if (list.length) list.push(r.pick(list)); break; // a property twice [MQTT-2.2.2] "Protocol Error to include ... more than once"
        default: list.splice(r.int(0, list.length), 0, randomProp(r)); // foreign, unknown or out-of-range
      }
    }
  }
  return props(...list);
}

function fuzzTopic(r: Prng): string | Buffer {
  return r.chance(0.7) ? `fuzz5/${r.int(0, 9)}/${r.pick(['light', 'temperature', 'power'])}` : anyTopic(r);
}

/** A v5 CONNECT with random properties (and will properties), valid unless `broken`. */
export function connectV5(r: Prng, creds: Credentials | undefined, broken: boolean): Buffer {
  const clientId = `fz5-${r.text(8).replace(/[^A-Za-z0-9]/g, 'x')}`;
  const will = r.chance(0.3) ? { topic: fuzzTopic(r), payload: r.bytes(r.int(0, 32)), qos: r.int(0, 1), props: randomProps(r, 'will', !broken) } : undefined;
  const packet = connect5({ clientId: r.chance(0.1) ? '' : clientId, clean: r.chance(0.8), keepalive: r.int(0, 120), props: randomProps(r, 'connect', !broken), will, ...(creds ? { username: creds.username, password: r.chance(0.95) ? creds.password : 'wrong' } : {}) });
  return broken && r.chance(0.3) ? mutateProperties(r, packet) : packet;
}

/** Any packet a v5 client may send after CONNECT, properties valid or not; and sometimes a server-only one. */
export function anyPacketV5(r: Prng, creds: Credentials | undefined): Buffer {
  const id = r.chance(0.05) ? 0 : r.int(1, 65535);
  const bad = r.chance(0.4);
  switch (r.pick([3, 3, 3, 3, 8, 8, 10, 4, 5, 6, 7, 12, 14, 15, 1, 2, 9, 11, 13])) {
    case 3: {
      const qos = r.pick([0, 0, 1, 1, 2]);
      const topic = r.chance(0.15) ? '' : fuzzTopic(r); // empty: only with a Topic Alias [MQTT-3.3.2-1]
      const payload = r.chance(0.1) ? r.bytes(r.int(0, 4000)) : Buffer.from(r.pick(['on', 'off', '21.5', '{"v":1}']));
      return publish5({ topic, qos, id, retain: r.chance(0.1), props: randomProps(r, 'publish', !bad), payload });
    }
    case 8: {
      const entries = Array.from({ length: r.int(1, 3) }, (): [string, number] => [
        r.pick(['fuzz5/#', 'fuzz5/+/light', '$share/g/fuzz5/#', '#', '$SYS/#', 'a/#/b', '']),
        r.chance(0.9) ? r.int(0, 2) | (r.int(0, 1) << 2) | (r.int(0, 1) << 3) | (r.int(0, 2) << 4) : r.int(0, 255), // options [MQTT-3.8.3-5]
      ]);
      return subscribe5(id, randomProps(r, 'subscribe', !bad), entries);
    }
    case 10: return unsubscribe5(id, randomProps(r, 'unsubscribe', !bad), [r.pick(['fuzz5/#', 'fuzz5/+/light', '#'])]);
    case 4: case 5: case 6: case 7: {
      const type = r.pick([4, 5, 6, 7] as const);
      const reason = r.chance(0.8) ? r.pick([0x00, 0x10, 0x80, 0x92]) : r.int(0, 255);
      return r.chance(0.3) ? frame(type, type === 6 ? 2 : 0, u16(id)) : ack5(type, id, reason, r.chance(0.7) ? randomProps(r, 'ack', !bad) : undefined);
    }
    case 12: return frame(12, 0, Buffer.alloc(0));
    case 14: return disconnect5(r.chance(0.8) ? r.pick([0x00, 0x04, 0x80]) : r.int(0, 255), r.chance(0.5) ? randomProps(r, 'disconnect', !bad) : undefined);
    case 15: return auth5(r.pick([0x00, 0x18, 0x19, 0x42]), randomProps(r, 'auth', !bad)); // not supported (4.12); 0x42 is no AUTH reason code
    case 1: return connectV5(r, creds, r.chance(0.5)); // a second CONNECT [MQTT-3.1.0-2]
    default: {
      // CONNACK, SUBACK, UNSUBACK, PINGRESP: server to client only; built properly by mqtt-packet, then sent the wrong way.
      const cmd = r.pick(['connack', 'suback', 'unsuback', 'pingresp'] as const);
      const packet = cmd === 'connack' ? { cmd, reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 10 } }
        : cmd === 'pingresp' ? { cmd }
        : { cmd, messageId: id || 1, granted: [0], properties: { reasonString: 'x' } };
      return Buffer.from(mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: 5 }));
    }
  }
}

/** A valid PUBLISH (mqtt-packet's generate, v5) with random valid properties: the raw material of mutateProperties. */
export function generatedPublish(r: Prng): Buffer {
  const properties: mqttPacket.IPublishPacket['properties'] = {};
  if (r.chance(0.5)) properties.payloadFormatIndicator = r.chance(0.5);
  if (r.chance(0.5)) properties.messageExpiryInterval = r.int(1, 3600);
  if (r.chance(0.5)) properties.contentType = 'application/json';
  if (r.chance(0.3)) properties.responseTopic = 'fuzz5/reply';
  if (r.chance(0.3)) properties.correlationData = r.bytes(r.int(1, 8));
  if (r.chance(0.5)) properties.userProperties = { a: 'b', room: r.text(4) };
  if (r.chance(0.2)) properties.topicAlias = r.int(1, 10);
  const qos = r.pick([0, 1, 2] as const);
  // A topic's length is 2 bytes in a PUBLISH: a longer topic (anyTopic makes some) has no valid packet. mqtt-packet
  // throws on it since the hub turned its number cache off (server/mqtt/write-hooks.ts); before, it wrote a broken one.
  const topic = fuzzTopic(r).toString();
  return Buffer.from(mqttPacket.generate({ cmd: 'publish', topic: Buffer.byteLength(topic) <= 0xffff ? topic : 'fuzz5/long', payload: Buffer.from('x'), qos, messageId: qos ? r.int(1, 65535) : undefined, retain: false, dup: false, properties }, { protocolVersion: 5 }));
}

/** A valid packet of any type a client sends, with properties, from mqtt-packet's generate (v5). */
export function generatedPacket(r: Prng): Buffer {
  const id = r.int(1, 65535);
  const user = { k: r.text(3), n: [r.text(2), r.text(2)] };
  const packets: Array<() => mqttPacket.Packet> = [
    () => ({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: 'fuzz5/#', qos: r.pick([0, 1, 2] as const), nl: r.chance(0.5), rap: r.chance(0.5), rh: r.int(0, 2) }], properties: { subscriptionIdentifier: r.int(1, 1000), userProperties: user } }),
    () => ({ cmd: 'unsubscribe', messageId: id, unsubscriptions: ['fuzz5/#'], properties: { userProperties: user } }),
    () => ({ cmd: r.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const), messageId: id, reasonCode: 0, properties: { reasonString: r.text(5), userProperties: user } }) as mqttPacket.Packet,
    () => ({ cmd: 'disconnect', reasonCode: r.pick([0, 4]), properties: { sessionExpiryInterval: 0, reasonString: 'bye', userProperties: user } }),
    () => ({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: r.bytes(8) } }),
  ];
  return r.chance(0.5) ? generatedPublish(r) : Buffer.from(mqttPacket.generate(r.pick(packets)(), { protocolVersion: 5 }));
}

/**
 * Where the property block of a packet starts: after the fixed header and, per type, the variable header fields
 * that precede it (3.x.2). undefined when the packet is too short or has none.
 */
export function propertyOffset(packet: Buffer): number | undefined {
  let at = 1;
  while (at < packet.length && packet[at]! & 0x80) at++;
  at++;
  const type = packet[0]! >> 4;
  const qos = (packet[0]! >> 1) & 3;
  switch (type) {
    case 1: at += 2 + 4 + 1 + 1 + 2; break; // "MQTT", level, flags, keepalive
    case 3: if (at + 2 > packet.length) return undefined; at += 2 + packet.readUInt16BE(at) + (qos ? 2 : 0); break;
    case 4: case 5: case 6: case 7: at += 3; break;
    case 8: case 10: at += 2; break;
    case 14: case 15: at += 1; break;
    default: return undefined;
  }
  return at < packet.length ? at : undefined;
}

/**
 * Byte surgery on the property block of a valid v5 packet: its length made to lie (past the packet, short of its
 * properties, a 5-byte VBI), an identifier changed or zeroed, a value's length broken, a property duplicated or
 * replaced by another packet type's, a string made ill-formed UTF-8. The rest of the packet is left as it was, and
 * the Remaining Length is fixed up where the block changed size (or deliberately not).
 */
export function mutateProperties(r: Prng, packet: Buffer): Buffer {
  const at = propertyOffset(packet);
  if (at === undefined) return packet;
  const headerEnd = (() => { let i = 1; while (packet[i]! & 0x80) i++; return i + 1; })();
  const before = packet.subarray(headerEnd, at);
  // The block: its VBI length, then its bytes.
  let lenBytes = 0;
  let len = 0;
  for (let mul = 1; lenBytes < 4 && at + lenBytes < packet.length; mul *= 128) {
    const b = packet[at + lenBytes++]!;
    len += (b & 0x7f) * mul;
    if (!(b & 0x80)) break;
  }
  const block = Buffer.from(packet.subarray(at + lenBytes, at + lenBytes + len));
  const after = packet.subarray(at + lenBytes + len);
  const rebuild = (newBlock: Buffer, declared = newBlock.length, fixRemaining = true): Buffer => {
    const body = Buffer.concat([before, vbi(declared), newBlock, after]);
    return Buffer.concat([packet.subarray(0, 1), fixRemaining ? remainingLength(body.length) : packet.subarray(1, headerEnd), body]);
  };
  switch (r.int(0, 9)) {
    case 0: return rebuild(block, block.length + r.int(1, 40)); // the block says it is longer than it is
    case 1: return rebuild(block, Math.max(0, block.length - r.int(1, 3))); // shorter: its last property straddles the end
    case 2: return Buffer.concat([packet.subarray(0, 1), remainingLength(before.length + 5 + block.length + after.length), before, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), block, after]); // a 5-byte VBI [MQTT-1.5.5]
    case 3: if (block.length) block[0] = r.pick([0x00, 0x04, 0x7f, 0x80, 0x2b]); return rebuild(block); // identifier 0, unknown, or a multi-byte VBI one
    case 4: return rebuild(Buffer.concat([block, block])); // every property twice
    case 5: return rebuild(Buffer.concat([block, randomProp(r, r.pick([P.sessionExpiryInterval, P.assignedClientIdentifier, P.maximumQoS, P.serverKeepAlive, P.willDelayInterval, P.receiveMaximum, P.subscriptionIdentifier, P.topicAlias]))])); // another packet's property
    case 6: return rebuild(Buffer.concat([block, prop(P.userProperty, [r.pick(invalidUtf8), 'v'])])); // ill-formed UTF-8 in a User Property
    case 7: {
      for (let i = r.int(1, 3); i > 0 && block.length; i--) block[r.int(0, block.length - 1)] ^= 1 << r.int(0, 7);
      return rebuild(block);
    }
    case 8: return rebuild(Buffer.concat([block, prop(P.reasonString, 'grown')]), undefined, false); // block grew, Remaining Length not updated
    default: return rebuild(Buffer.concat([block, r.bytes(r.int(1, 12))])); // trailing junk inside the block
  }
}
