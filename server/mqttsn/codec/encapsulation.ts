// §5.5 Forwarder Encapsulation: Length (1) | MsgType 0xFE | Ctrl (1) | Wireless Node Id (Length − 3) | MQTT-SN message.
import { fail } from './header.js';
import { MsgType, type Decoded, type Encapsulated } from './types.js';

/**
 * "The Length field is 1-octet long and specifies the number of octets up to the end of the Wireless Node Id field
 * (incl. the Length octet itself)"; the encapsulated message follows with its own length. Ctrl bits 0-1 are the
 * Radius, the others reserved. A node id of zero octets is refused: it could not tell two nodes apart.
 */
export function decodeEncapsulated(buf: Buffer): Decoded<Encapsulated> {
  if (buf.length < 4) return fail('encapsulated message cut short');
  const length = buf[0]!;
  if (length < 4) return fail(`encapsulation length ${length} leaves no Wireless Node Id`);
  if (length >= buf.length) return fail(`encapsulation length ${length} leaves no encapsulated message in ${buf.length} octets`);
  return { ok: true, value: { type: 'encapsulated', radius: buf[2]! & 0x03, nodeId: Buffer.from(buf.subarray(3, length)), inner: buf.subarray(length) } };
}

export function encapsulate(nodeId: Buffer, inner: Buffer, radius = 0): Buffer {
  if (nodeId.length === 0 || nodeId.length > 252) throw new RangeError('Wireless Node Id of 1-252 octets');
  return Buffer.concat([Buffer.from([3 + nodeId.length, MsgType.ENCAPSULATED, radius & 0x03]), nodeId, inner]);
}
