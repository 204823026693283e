// The broker page's figures to the admins who have it open, live (issue 18 item 7): at most once per
// brokerStatsMs, and not at all while no socket subscribed. A subscriber gets everything once; then each update
// carries only what moved: the topics that received a message since the previous update (their `ts` is newer),
// the new rate samples, and the client list only when a client came or went (or a bridge's figures moved).

import type { EventBus } from '../core/event-bus.js';
import type { BrokerStats } from './protocol.js';

/** server/api/broker.ts BrokerView, as far as it is sent. */
export type BrokerViewSource = () => Omit<BrokerStats, 'full'> & Required<Pick<BrokerStats, 'clients'>>;

export interface BrokerStatsOptions {
  view: BrokerViewSource;
  bus: EventBus;
  intervalMs: number;
  listening(): boolean;
  send(stats: BrokerStats): void;
}

export class BrokerStatsFeed {
  private timer?: NodeJS.Timeout;
  /** When the previous update was taken: topics and samples newer than this are news. */
  private since = 0;
  private clientsChanged = true;
  private off?: () => void;

  constructor(private readonly opts: BrokerStatsOptions) {}

  start(): void {
    const changed = (): void => void (this.clientsChanged = true);
    const offs = [this.opts.bus.on('clientConnected', 'broker-stats', changed), this.opts.bus.on('clientDisconnected', 'broker-stats', changed)];
    this.off = () => offs.forEach((off) => off());
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.off?.();
    clearInterval(this.timer);
  }

  /** Everything, for a socket that just subscribed. */
  full(): BrokerStats {
    // The next update carries what changed from now on (or from the previous update, for the sockets already there).
    if (this.since === 0) this.since = Date.now();
    return { ...this.opts.view(), full: true };
  }

  private tick(): void {
    if (!this.opts.listening()) {
      this.since = 0;
      return;
    }
    const now = Date.now();
    const view = this.opts.view();
    const since = this.since;
    this.since = now;
    if (since === 0) return;
    const bridges = view.clients.some((c) => c.bridge);
    this.opts.send({
      full: false,
      ...(this.clientsChanged || bridges ? { clients: view.clients } : {}),
      counters: view.counters,
      rates: view.rates.filter((r) => r.ts > since),
      // `>=`: a message in the same millisecond as the previous update may have come after it; sent twice is harmless.
      topics: view.topics.filter((t) => t.ts >= since),
      topicsCapped: view.topicsCapped,
      ...(view.outboundBridges ? { outboundBridges: view.outboundBridges } : {}),
    });
    this.clientsChanged = false;
  }
}
