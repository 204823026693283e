import type { MqttMessage } from './events.js';
import { KeptBytes } from './kept-bytes.js';

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

/** One slot of a device's ring, reused when the ring comes round. */
interface Slot {
  ts: number;
  topic: string;
  retain: boolean;
  payload: KeptBytes;
}

interface Ring {
  slots: Slot[];
  /** Index of the oldest slot once the ring is full. */
  next: number;
}

/**
 * The last raw messages of each device, for its page in the dashboard: what it really sent, not what we made of it.
 * Recorded for every device message, read when someone opens a device page (see KeptBytes).
 */
export class RecentMessages {
  private readonly byDevice = new Map<string, Ring>();

  add(deviceId: string, msg: MqttMessage, ts: number): void {
    let ring = this.byDevice.get(deviceId);
    if (!ring) this.byDevice.set(deviceId, (ring = { slots: [], next: 0 }));
    let slot: Slot;
    if (ring.slots.length < perDevice) {
      slot = { ts, topic: msg.topic, retain: msg.retain, payload: new KeptBytes(maxBytes) };
      ring.slots.push(slot);
    } else {
      slot = ring.slots[ring.next]!;
      ring.next = (ring.next + 1) % perDevice;
      slot.ts = ts;
      // A device repeats its topic: keep the string already held (this one is the parser's, fresh per packet).
      if (slot.topic !== msg.topic) slot.topic = msg.topic;
      slot.retain = msg.retain;
    }
    slot.payload.set(msg.payload);
  }

  for(deviceId: string): RecentMessage[] {
    const ring = this.byDevice.get(deviceId);
    if (!ring) return [];
    const ordered = [...ring.slots.slice(ring.next), ...ring.slots.slice(0, ring.next)];
    return ordered.map((s) => ({ ts: s.ts, topic: s.topic, payload: s.payload.text(maxPayload), retain: s.retain }));
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
  }
}
