import fs from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { MqttMessage } from '../core/events.js';
import type { Database } from '../store/database.js';
import { withoutCredentials, type BridgeConfig } from './config.js';
import { BridgeLink, loadMqttClient, type InboundMessage, type LinkState } from './link.js';
import { OutQueue } from './out-queue.js';
import { QueueStore } from './queue-store.js';
import { forgetSavedSessions, sameSession, saveSession, takeSavedSession, type SavedSession } from './saved-session.js';
import { SettingsRepo } from '../store/settings-repo.js';

export interface BridgesDeps {
  bridges: readonly BridgeConfig[];
  dataDir: string;
  db: Database;
  bus: EventBus;
  log: Logger;
  /** mqtt.maxPacketSize: the largest remote message brought in. */
  maxPacketSize: number;
  /** The hub's own publish (Broker.publish): a remote message enters as the hub would publish it. */
  publish: (msg: InboundMessage) => Promise<void>;
}

/** One outbound bridge as /metrics, /healthz and the dashboard see it (no credentials). */
export interface OutboundBridgeView {
  name: string;
  url: string;
  state: LinkState;
  since: number;
  lastError?: string;
  /** Rules as mosquitto writes them: `sensors/# out 1 "" site1/`. */
  topics: string[];
  queueDepth: number;
  queueBytes: number;
  queueDropped: number;
  messagesOut: number;
  messagesIn: number;
  /** Messages per second over the last sample (5 s). */
  rateOut: number;
  rateIn: number;
  required: boolean;
  /** Where it is declared: rumah.yaml (read-only in the dashboard) or the dashboard (rumah.db). */
  source: 'rumah.yaml' | 'dashboard';
  protocolVersion: 4 | 5;
  username?: string;
  /** A password is set (it is never sent back). */
  hasPassword: boolean;
}

const rateSampleMs = 5000;

/**
 * The outbound bridges (docs/bridges.md): one BridgeLink each, fed from the bus's `message` event (every message the
 * hub routes, from clients and from the hub itself, in routing order).
 *
 * Loops: a message a bridge brought in is published into the hub with its payload Buffer marked as that bridge's
 * (a WeakMap keyed by the Buffer object aedes routes: the marker is the packet's identity, not its content, so the
 * same payload published again locally still goes out). The forwarder skips a message marked by the same bridge; it
 * may still leave over another bridge, as in mosquitto.
 */
export class Bridges {
  readonly links: BridgeLink[] = [];
  private readonly queues = new Map<string, OutQueue>();
  private readonly marks = new WeakMap<Buffer, BridgeLink>();
  private readonly rates = new Map<string, { out: number; in: number; lastOut: number; lastIn: number }>();
  private readonly store: QueueStore;
  private readonly configs = new Map<string, BridgeConfig>();
  private off?: () => void;
  private timer?: NodeJS.Timeout;
  private started = false;

  private readonly settings: SettingsRepo;
  /** Bridges opened in this run: only their first opening takes up a session the last run saved. */
  private readonly opened = new Set<string>();

  constructor(private readonly deps: BridgesDeps) {
    this.store = new QueueStore(deps.db, deps.log);
    this.settings = new SettingsRepo(deps.db);
  }

  async start(): Promise<void> {
    await this.store.open();
    this.warnIfReadable();
    for (const config of this.deps.bridges) await this.open(config);
    this.off = this.deps.bus.on('message', 'bridges', (msg) => this.forward(msg));
    for (const link of this.links) link.start();
    this.timer = setInterval(() => this.sample(), rateSampleMs);
    this.timer.unref();
    this.started = true;
  }

  /**
   * Adds a bridge, or replaces the one of that name while the hub runs (the dashboard): its queue is kept, and its
   * persistent session too if it still goes to the same remote as the same client (saved-session.ts).
   */
  async set(config: BridgeConfig): Promise<void> {
    const old = this.links.find((l) => l.name === config.name);
    let carried: SavedSession | undefined;
    if (old) {
      await this.remove(config.name, { keepQueue: true });
      carried = await old.save();
    }
    const link = await this.open(config, carried && sameSession(carried, config) ? carried : undefined);
    if (this.started) link.start();
  }

  /** Stops a bridge and forgets it; its queued messages are deleted unless `keepQueue`. False if there was none. */
  async remove(name: string, opts: { keepQueue?: boolean } = {}): Promise<boolean> {
    const link = this.links.find((l) => l.name === name);
    if (!link) return false;
    await link.stop();
    this.links.splice(this.links.indexOf(link), 1);
    this.configs.delete(name);
    this.queues.delete(name);
    this.rates.delete(name);
    await this.store.flush();
    if (!opts.keepQueue) await this.store.drop(name);
    return true;
  }

  /** The configuration a bridge runs with (credentials included: for the admin API to keep a password). */
  configOf(name: string): BridgeConfig | undefined {
    return this.configs.get(name);
  }

  private async open(config: BridgeConfig, carried?: SavedSession): Promise<BridgeLink> {
    await loadMqttClient();
    const queue = new OutQueue(config.name, this.store, { maxMessages: config.maxQueuedMessages, maxBytes: config.maxQueuedBytes });
    await queue.load();
    if (queue.depth > 0) this.deps.log.info({ bridge: config.name, queued: queue.depth }, 'bridge messages queued before will be sent');
    // What the last run saved is taken when the bridge first opens in this run (rumah.yaml's at start, the dashboard's
    // as they load); a bridge changed in the dashboard later carries its own over (set).
    const saved = carried ?? (this.opened.has(config.name) ? undefined : await takeSavedSession(this.settings, config));
    this.opened.add(config.name);
    const link: BridgeLink = new BridgeLink({
      config, dataDir: this.deps.dataDir, queue, log: this.deps.log, maxPacketSize: this.deps.maxPacketSize, ...(saved ? { saved } : {}),
      deliver: (msg) => {
        this.marks.set(msg.payload, link);
        return this.deps.publish(msg);
      },
    });
    this.configs.set(config.name, config);
    this.queues.set(config.name, queue);
    this.links.push(link);
    this.rates.set(config.name, { out: 0, in: 0, lastOut: 0, lastIn: 0 });
    return link;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.timer);
    this.off?.();
    this.off = undefined;
    await Promise.all(this.links.map((l) => l.stop()));
    // The queue's rows first: a saved session names its messages by row.
    await this.store.flush();
    await forgetSavedSessions(this.settings).catch(() => 0);
    for (const link of this.links) {
      const session = await link.save();
      if (session) await saveSession(this.settings, link.name, session).catch((err: Error) => this.deps.log.warn({ bridge: link.name, err: err.message }, 'bridge session not saved; after the restart what was in flight goes again as new messages'));
    }
  }

  view(): OutboundBridgeView[] {
    return this.links.map((link) => {
      const c = this.config(link);
      const queue = this.queues.get(link.name)!;
      const rate = this.rates.get(link.name)!;
      return {
        name: link.name, url: withoutCredentials(c.url), state: link.state, since: link.since, ...(link.lastError ? { lastError: link.lastError } : {}),
        topics: c.topics.map((r) => `${r.pattern || '""'} ${r.direction} ${r.qos} ${r.local || '""'} ${r.remote || '""'}`),
        queueDepth: queue.depth, queueBytes: queue.bytes, queueDropped: queue.dropped,
        messagesOut: link.counters.messagesOut, messagesIn: link.counters.messagesIn, rateOut: rate.out, rateIn: rate.in, required: c.required,
        source: this.deps.bridges.some((b) => b.name === link.name) ? 'rumah.yaml' : 'dashboard', protocolVersion: c.protocolVersion,
        ...(c.username !== undefined ? { username: c.username } : {}), hasPassword: c.password !== undefined,
      };
    });
  }

  /** Counters for /metrics. */
  counters(link: BridgeLink): BridgeLink['counters'] & { queueDepth: number; queueBytes: number; queueDropped: number } {
    const queue = this.queues.get(link.name)!;
    return { ...link.counters, queueDepth: queue.depth, queueBytes: queue.bytes, queueDropped: queue.dropped };
  }

  /** Test seam: waits until the queue's rows are written. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /** Bridge passwords live in rumah.yaml (docs/bridges.md): it should be readable by rumah's user alone. */
  private warnIfReadable(): void {
    if (!this.deps.bridges.some((b) => b.password !== undefined || b.key !== undefined)) return;
    const file = path.join(this.deps.dataDir, 'rumah.yaml');
    try {
      const mode = fs.statSync(file).mode & 0o777;
      if (mode & 0o077) this.deps.log.warn({ file, mode: mode.toString(8) }, 'rumah.yaml holds bridge credentials and other users may read it: chmod 600 it');
    } catch {
      /* no rumah.yaml (bridges given another way, tests): nothing to check */
    }
  }

  private forward(msg: MqttMessage): void {
    const mark = this.marks.get(msg.payload);
    for (const link of this.links) {
      if (mark === link) continue;
      const mapped = link.rules.toRemote(msg.topic, msg.qos);
      if (mapped) link.send(mapped.topic, msg.payload, mapped.qos, msg.retain);
    }
  }

  private sample(): void {
    for (const link of this.links) {
      const r = this.rates.get(link.name)!;
      r.out = (link.counters.messagesOut - r.lastOut) / (rateSampleMs / 1000);
      r.in = (link.counters.messagesIn - r.lastIn) / (rateSampleMs / 1000);
      r.lastOut = link.counters.messagesOut;
      r.lastIn = link.counters.messagesIn;
    }
  }

  private config(link: BridgeLink): BridgeConfig {
    return this.configs.get(link.name)!;
  }
}
