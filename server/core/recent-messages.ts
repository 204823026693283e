import type { MqttMessage } from './events.js';

export interface RecentMessage {
  ts: number;
  topic: string;
  /** The payload as text, cut at `maxPayload` characters. */
  payload: string;
  retain: boolean;
}

const perDevice = 10;
const maxPayload = 256;
/** Bytes kept per message: enough for maxPayload characters of 4-byte UTF-8. */
const maxBytes = maxPayload * 4;

/** One slot of a device's ring; its byte buffer is reused, so recording a message allocates nothing once warm. */
interface Slot {
  ts: number;
  topic: string;
  retain: boolean;
  bytes: Buffer;
  length: number;
}

interface Ring {
  slots: Slot[];
  /** Index of the oldest slot once the ring is full. */
  next: number;
}

/**
 * The last raw messages of each device, for its page in the dashboard: what it really sent, not what we made of it.
 * Recorded for every device message, read when someone opens a device page: the bytes are copied into reused
 * buffers and decoded only when read (decoding each one, and dropping the oldest with Array.shift(), made garbage
 * that lived long enough to be promoted, on the hub's hottest path).
 */
export class RecentMessages {
  private readonly byDevice = new Map<string, Ring>();

  add(deviceId: string, msg: MqttMessage, ts: number): void {
    let ring = this.byDevice.get(deviceId);
    if (!ring) this.byDevice.set(deviceId, (ring = { slots: [], next: 0 }));
    const length = Math.min(msg.payload.length, maxBytes);
    let slot: Slot;
    if (ring.slots.length < perDevice) {
      slot = { ts, topic: msg.topic, retain: msg.retain, bytes: Buffer.allocUnsafeSlow(capacityFor(length)), length };
      ring.slots.push(slot);
    } else {
      slot = ring.slots[ring.next]!;
      ring.next = (ring.next + 1) % perDevice;
      slot.ts = ts;
      // A device repeats its topic: keep the string already held (this one is the parser's, fresh per packet).
      if (slot.topic !== msg.topic) slot.topic = msg.topic;
      slot.retain = msg.retain;
      if (slot.bytes.length < length) slot.bytes = Buffer.allocUnsafeSlow(capacityFor(length));
      slot.length = length;
    }
    msg.payload.copy(slot.bytes, 0, 0, length);
  }

  for(deviceId: string): RecentMessage[] {
    const ring = this.byDevice.get(deviceId);
    if (!ring) return [];
    const ordered = [...ring.slots.slice(ring.next), ...ring.slots.slice(0, ring.next)];
    return ordered.map((s) => ({ ts: s.ts, topic: s.topic, payload: s.bytes.toString('utf8', 0, s.length).slice(0, maxPayload), retain: s.retain }));
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
  }
}

/** Rounded up, so a payload a few bytes longer than the last one does not allocate again. */
function capacityFor(length: number): number {
  return Math.min(maxBytes, Math.max(64, 2 ** Math.ceil(Math.log2(length || 1))));
}
