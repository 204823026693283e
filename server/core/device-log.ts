import type { EventBus } from './event-bus.js';

export interface LogEntry {
  ts: number;
  topic: string;
  reason: string;
}

const perKey = 50;
const maxKeys = 5000;

/**
 * Why a device's messages were refused (bad discovery payloads, limits), kept in memory per device and per
 * account: the last 50 of each, so a user can see what went wrong without reading the hub's log.
 */
export class DeviceLog {
  private readonly entries = new Map<string, LogEntry[]>();

  attach(bus: EventBus): void {
    bus.on('deviceRejected', 'device-log', (e) => {
      const entry = { ts: Date.now(), topic: e.topic, reason: e.reason };
      if (e.deviceId) this.add(`device:${e.deviceId}`, entry);
      if (e.username) this.add(`account:${e.username}`, entry);
    });
  }

  forDevice(id: string): LogEntry[] {
    return [...(this.entries.get(`device:${id}`) ?? [])];
  }

  forAccount(username: string): LogEntry[] {
    return [...(this.entries.get(`account:${username}`) ?? [])];
  }

  private add(key: string, entry: LogEntry): void {
    let list = this.entries.get(key);
    if (!list) {
      if (this.entries.size >= maxKeys) this.entries.delete(this.entries.keys().next().value!);
      list = [];
      this.entries.set(key, list);
    }
    list.push(entry);
    if (list.length > perKey) list.shift();
  }
}
