/**
 * A minimal incremental MQTT frame splitter for the load generator: it reads only the fixed header (type byte and
 * remaining length, [MQTT-2.2]) and hands each whole frame to `onFrame` without decoding it. Decoding every
 * delivered PUBLISH into an object (as MQTT.js does) would make the generator, not the broker, the bottleneck.
 */
export type FrameHandler = (first: number, data: Buffer, bodyStart: number, bodyEnd: number) => void;

export class FrameSplitter {
  private rest: Buffer | undefined;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let i = 0;
    const n = data.length;
    while (i + 2 <= n) {
      // Remaining length: 1-4 bytes, 7 bits each, least significant first [MQTT-2.2.3].
      let len = 0;
      let mult = 1;
      let j = i + 1;
      let complete = false;
      while (j < n && j - i <= 4) {
        const b = data[j++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (j - i > 4) throw new Error('malformed remaining length');
        break;
      }
      if (j + len > n) break;
      this.onFrame(data[i]!, data, j, j + len);
      i = j + len;
    }
    if (i < n) this.rest = Buffer.from(data.subarray(i));
  }
}

/** Packet type (upper nibble of the first byte) [MQTT-2.2.1]. */
export const PacketType = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9 } as const;
