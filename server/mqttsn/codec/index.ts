// The MQTT-SN v1.2 codec: one datagram in, one message (or a reason) out; one message in, one datagram out.
// Nothing here throws on input from the network: every refusal is a { ok: false, reason }.
import { connectionDecoders, connectionEncoders } from './connection.js';
import { discoveryDecoders, discoveryEncoders } from './discovery.js';
import { decodeEncapsulated } from './encapsulation.js';
import { fail, frame, readHeader } from './header.js';
import { publishDecoders, publishEncoders } from './publish.js';
import { topicDecoders, topicEncoders } from './topics.js';
import { MsgType, type Decoded, type Encapsulated, type Packet } from './types.js';

export * from './types.js';
export { encapsulate } from './encapsulation.js';

const decoders: Record<number, (body: Buffer) => Decoded<Packet>> = { ...discoveryDecoders, ...connectionDecoders, ...topicDecoders, ...publishDecoders };
const encoders = { ...discoveryEncoders, ...connectionEncoders, ...topicEncoders, ...publishEncoders } as unknown as Record<Packet['type'], (p: Packet) => [number, Buffer]>;

/** Whether a datagram is a forwarder's encapsulation (§5.5), whose MsgType sits at octet 1 after a 1-octet length. */
export function isEncapsulated(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] !== 0x01 && buf[1] === MsgType.ENCAPSULATED;
}

/** Decodes one datagram: an MQTT-SN message (§5.2–5.4), or a forwarder's encapsulation (§5.5) with the message undecoded. */
export function decode(buf: Buffer): Decoded<Packet | Encapsulated> {
  if (isEncapsulated(buf)) return decodeEncapsulated(buf);
  return decodeMessage(buf);
}

/** Decodes one MQTT-SN message (not an encapsulation: a forwarder's frame never nests another, §5.5). */
export function decodeMessage(buf: Buffer): Decoded<Packet> {
  const header = readHeader(buf);
  if (!header.ok) return header;
  const decoder = decoders[header.value.msgType];
  if (!decoder) return fail(`unknown MsgType 0x${header.value.msgType.toString(16).padStart(2, '0')}`);
  try {
    return decoder(header.value.body);
  } catch (err) {
    // A decoder reads only within the lengths it checked; this is the net under that promise.
    return fail(`undecodable: ${(err as Error).message}`);
  }
}

/** Encodes one message with the shortest length form that fits (§5.2.1). */
export function encode(packet: Packet): Buffer {
  const [msgType, body] = encoders[packet.type](packet);
  return frame(msgType, body);
}
