import type { EventBus } from './event-bus.js';

/**
 * Which devices report on a connection of their own (server/core/staleness.ts): a device whose client is still
 * connected, and reports for that one device only, is quiet rather than gone — the broker checks its keepalive. A
 * gateway's connection (Zigbee2MQTT) reports for many devices and says nothing about one of them.
 */
export class OwnConnections {
  /** Connections open per client id (a takeover briefly has two), from the bus's client events. */
  private readonly connections = new Map<string, number>();
  /** Devices per reporting client. */
  private readonly reported = new Map<string, number>();

  constructor(bus: EventBus) {
    bus.on('clientConnected', 'registry', ({ clientId }) => void this.connections.set(clientId, (this.connections.get(clientId) ?? 0) + 1));
    bus.on('clientDisconnected', 'registry', ({ clientId }) => {
      // A keepalive loss may be told twice (keepaliveTimeout, then clientDisconnect): never below none.
      const n = (this.connections.get(clientId) ?? 0) - 1;
      if (n > 0) this.connections.set(clientId, n);
      else this.connections.delete(clientId);
    });
  }

  /** The device reporting through `reporter` is on its own, open connection. */
  isOwn(reporter: string | undefined): boolean {
    return reporter !== undefined && this.connections.has(reporter) && this.reported.get(reporter) === 1;
  }

  /** A device's reporting client changed from `before` to `after` (either may be none). */
  moved(before: string | undefined, after: string | undefined): void {
    if (before !== undefined) {
      const n = (this.reported.get(before) ?? 1) - 1;
      if (n > 0) this.reported.set(before, n);
      else this.reported.delete(before);
    }
    if (after !== undefined) this.reported.set(after, (this.reported.get(after) ?? 0) + 1);
  }
}
