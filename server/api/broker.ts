import type { EventBus } from '../core/event-bus.js';
import { KeptBytes } from '../core/kept-bytes.js';
import type { OutboundBridgeView } from '../bridge/service.js';
import type { BridgesAdmin } from '../bridge/admin.js';

/** Another broker bridged into this one (server/mqtt/bridge-clients.ts). */
export interface BridgeView {
  /** From its `$SYS/broker/connection/<id>/state` notification: `1` up, `0` down; unknown until it sends one. */
  state: 'up' | 'down' | 'unknown';
  /** Messages it has published into this hub since it connected, and per second over the last sample. */
  messagesIn: number;
  rateIn: number;
  /** The topics it published on (the last ones, at most 20). */
  topics: string[];
}

/** What the dashboard's broker page shows (admins only: topics and payloads may be private). */
export interface BrokerView {
  /** protocolVersion: 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  clients: Array<{ clientId: string; username?: string; protocolVersion?: number; since: number; bridge?: BridgeView; /** 'MQTT-SN' for a client of the MQTT-SN gateway. */ protocol?: string }>;
  counters: { messagesIn: number; messagesOut: number };
  /** One sample a second, oldest first: messages per second in (from clients) and out (to subscribers). */
  rates: Array<{ ts: number; in: number; out: number }>;
  /** Topics seen since the hub started (capped), with the last payload cut short; the page builds the tree. */
  topics: Array<{ topic: string; count: number; ts: number; retained: boolean; bytes: number; preview: string }>;
  /** True when more topics were seen than are kept. */
  topicsCapped: boolean;
  /** Bridges this hub connects out to other brokers (server/bridge/service.ts); no credentials. */
  outboundBridges: OutboundBridgeView[];
}

export interface BrokerApiDeps {
  bus: EventBus;
  counters: () => { messagesIn: number; messagesOut: number };
  outboundBridges?: () => OutboundBridgeView[];
  /** Outbound bridges made in the dashboard (server/bridge/admin.ts); set once the bridges have started. */
  bridgesAdmin?: () => BridgesAdmin | undefined;
  maxTopics?: number;
  sampleMs?: number;
  samples?: number;
  /** The protocol a client speaks when it is not plain MQTT (the MQTT-SN gateway's clients). */
  protocolOf?: (clientId: string) => string | undefined;
}

const previewBytes = 120;
const bridgeTopicsKept = 20;

type BridgeEntry = Omit<BridgeView, 'topics'> & { counted: number; seen: Set<string> };

/**
 * The broker seen from the dashboard: connected clients (from the bus's connect/disconnect events), messages per
 * second (sampled from the broker's counters once a second), and recent topics (from the bus's message event;
 * one map update per message, capped so a client publishing random topics cannot grow it without bound).
 */
export class BrokerApi {
  private readonly clients = new Map<string, BrokerView['clients'][number]>();
  private readonly bridges = new Map<string, BridgeEntry>();
  private readonly topics = new Map<string, Omit<BrokerView['topics'][number], 'preview'> & { preview: KeptBytes }>();
  private readonly rates: BrokerView['rates'] = [];
  private capped = false;
  private last?: { ts: number; messagesIn: number; messagesOut: number };
  private timer?: NodeJS.Timeout;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly deps: BrokerApiDeps) {}

  start(): void {
    const { bus } = this.deps;
    const maxTopics = this.deps.maxTopics ?? 5000;
    this.offs.push(
      bus.on('clientConnected', 'broker-page', (e) => {
        this.clients.set(e.clientId, { clientId: e.clientId, username: e.username, protocolVersion: e.protocolVersion, since: Date.now() });
        this.bridges.delete(e.clientId);
        if (e.bridge) this.bridgeOf(e.clientId);
      }),
      bus.on('clientDisconnected', 'broker-page', (e) => {
        this.clients.delete(e.clientId);
        this.bridges.delete(e.clientId);
      }),
      bus.on('bridgeState', 'broker-page', (e) => {
        const entry = this.bridgeOf(e.clientId);
        if (entry && e.state !== 'unknown') entry.state = e.state;
      }),
      bus.on('message', 'broker-page', (msg) => {
        if (msg.clientId !== undefined) this.bridgeTraffic(msg.clientId, msg.topic);
        let entry = this.topics.get(msg.topic);
        if (!entry) {
          if (this.topics.size >= maxTopics) return void (this.capped = true);
          entry = { topic: msg.topic, count: 0, ts: 0, retained: false, bytes: 0, preview: new KeptBytes(previewBytes) };
          this.topics.set(msg.topic, entry);
        }
        entry.count++;
        entry.ts = Date.now();
        // A retained message with an empty payload clears the retained message ([MQTT-3.3.1-10]).
        entry.retained = msg.retain ? msg.payload.length > 0 : entry.retained;
        entry.bytes = msg.payload.length;
        entry.preview.set(msg.payload);
      }),
    );
    this.timer = setInterval(() => this.sample(), this.deps.sampleMs ?? 1000);
    this.timer.unref();
  }

  get bridgesAdmin(): BridgesAdmin | undefined {
    return this.deps.bridgesAdmin?.();
  }

  view(): BrokerView {
    const counters = this.deps.counters();
    return {
      clients: [...this.clients.values()].map((c) => {
        const b = this.bridges.get(c.clientId);
        const protocol = this.deps.protocolOf?.(c.clientId);
        return { ...c, ...(b ? { bridge: { state: b.state, messagesIn: b.messagesIn, rateIn: b.rateIn, topics: [...b.seen] } } : {}), ...(protocol ? { protocol } : {}) };
      }),
      counters: { messagesIn: counters.messagesIn, messagesOut: counters.messagesOut },
      rates: [...this.rates],
      topics: [...this.topics.values()].map((t) => ({ ...t, preview: t.preview.text(previewBytes) })),
      topicsCapped: this.capped,
      outboundBridges: this.deps.outboundBridges?.() ?? [],
    };
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    clearInterval(this.timer);
  }

  /** A bridge is known from the bridge bit of its CONNECT or from its first connection-state notification. */
  private bridgeOf(clientId: string): BridgeEntry | undefined {
    let entry = this.bridges.get(clientId);
    if (!entry && this.clients.has(clientId)) {
      entry = { state: 'unknown', messagesIn: 0, rateIn: 0, counted: 0, seen: new Set() };
      this.bridges.set(clientId, entry);
    }
    return entry;
  }

  private bridgeTraffic(clientId: string, topic: string): void {
    const entry = this.bridges.get(clientId);
    if (!entry) return;
    entry.messagesIn++;
    entry.seen.delete(topic);
    entry.seen.add(topic);
    if (entry.seen.size > bridgeTopicsKept) entry.seen.delete(entry.seen.values().next().value!);
  }

  private sample(): void {
    const now = Date.now();
    const { messagesIn, messagesOut } = this.deps.counters();
    if (this.last) {
      const seconds = Math.max(0.001, (now - this.last.ts) / 1000);
      for (const b of this.bridges.values()) {
        b.rateIn = (b.messagesIn - b.counted) / seconds;
        b.counted = b.messagesIn;
      }
      this.rates.push({ ts: now, in: (messagesIn - this.last.messagesIn) / seconds, out: (messagesOut - this.last.messagesOut) / seconds });
      if (this.rates.length > (this.deps.samples ?? 300)) this.rates.shift();
    }
    this.last = { ts: now, messagesIn, messagesOut };
  }
}
