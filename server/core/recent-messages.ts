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

/** The last raw messages of each device, for its page in the dashboard: what it really sent, not what we made of it. */
export class RecentMessages {
  private readonly byDevice = new Map<string, RecentMessage[]>();

  add(deviceId: string, msg: MqttMessage, ts: number): void {
    let list = this.byDevice.get(deviceId);
    if (!list) this.byDevice.set(deviceId, (list = []));
    const cut = msg.payload.length > maxPayload * 4 ? msg.payload.subarray(0, maxPayload * 4) : msg.payload;
    list.push({ ts, topic: msg.topic, payload: cut.toString('utf8').slice(0, maxPayload), retain: msg.retain });
    if (list.length > perDevice) list.shift();
  }

  for(deviceId: string): RecentMessage[] {
    return [...(this.byDevice.get(deviceId) ?? [])];
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
  }
}
