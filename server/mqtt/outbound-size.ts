import mqttPacket from 'mqtt-packet';

/** Fixed header (5), topic length (2), packet id (2), property length (4): what a PUBLISH adds at most, properties apart. */
const publishOverhead = 13;

/**
 * Whether a PUBLISH of `packet` to an MQTT 5 client would be larger than `max` bytes, the Maximum Packet Size the
 * client set [MQTT-3.1.2-24]. Most messages are far below it and are answered from their lengths; one near the limit,
 * or with properties, is encoded to be sure.
 */
export function tooLargeFor(packet: { topic: string; payload: Buffer | string; qos?: number; properties?: object }, max: number): boolean {
  const payload = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  const bare = payload + Buffer.byteLength(packet.topic) + publishOverhead;
  if (packet.properties === undefined && bare <= max) return false;
  if (payload >= max) return true;
  try {
    const encoded = mqttPacket.generate({ ...packet, cmd: 'publish', qos: (packet.qos ?? 0) as 0, messageId: packet.qos ? 1 : undefined, dup: false, retain: false } as never, { protocolVersion: 5 });
    return encoded.length > max;
  } catch {
    return false; // not encodable at all: aedes's own write reports it
  }
}
