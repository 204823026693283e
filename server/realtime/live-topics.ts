// What a page asks for by name (issue 18 item 7): `subscribe` / `unsubscribe` with a LiveTopic. Each topic is a
// socket.io room, so a batch is encoded once for every socket in it, and nothing is sent (or even collected) for a
// topic no socket is in. The role is checked on the hub for every subscription (topicRole in protocol.ts); a
// socket whose user is demoted or deleted is closed by the realtime server, which takes its rooms with it.

import type { Server } from 'socket.io';
import { ErrorCodes } from '../core/errors.js';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import { BrokerStatsFeed, type BrokerViewSource } from './broker-stats.js';
import { brokerStatsMs, topicRole, type AccountItem, type Ack, type ClientToServer, type ServerToClient } from './protocol.js';
import { RuleEvents, type RuleSource } from './rule-events.js';
import type { LiveSocket } from './server.js';
import type { SocketData } from './socket-auth.js';

export interface LiveTopicsDeps {
  io: () => Server<ClientToServer, ServerToClient, Record<string, never>, SocketData> | undefined;
  bus: EventBus;
  log: Logger;
  intervalMs: number;
  rules?: RuleSource;
  broker?: BrokerViewSource;
  accounts?: () => Promise<AccountItem[]>;
}

const roomOf = (topic: string): string => `topic:${topic}`;
/** Rooms a socket may be in at once: a page subscribes to one or two; more is a bug or an attack. */
const MAX_TOPICS_PER_SOCKET = 16;
/**
 * Subscriptions a socket may ask for per minute: each one sends a whole state (the broker page's can be ~1 MB), so a
 * script repeating `subscribe` must not turn the hub into an amplifier. A page asks for one or two per visit.
 */
const SUBSCRIBES_PER_MINUTE = 60;

export class LiveTopics {
  private readonly rules?: RuleEvents;
  private readonly broker?: BrokerStatsFeed;
  private accountsTimer?: NodeJS.Timeout;
  private offAccounts?: () => void;
  /** Per socket: the start of its current minute and the subscriptions asked in it. */
  private readonly asked = new WeakMap<object, { since: number; count: number }>();

  constructor(private readonly deps: LiveTopicsDeps) {
    const size = (topic: string): number => deps.io()?.sockets.adapter.rooms.get(roomOf(topic))?.size ?? 0;
    if (deps.rules) {
      this.rules = new RuleEvents({
        source: deps.rules, intervalMs: deps.intervalMs,
        watchingList: () => size('rules') > 0, watchingRule: (id) => size(`rule:${id}`) > 0,
        sendRules: (update) => deps.io()?.to(roomOf('rules')).emit('rules', update),
        sendTraces: (update) => deps.io()?.to(roomOf(`rule:${update.ruleId}`)).emit('ruleTraces', update),
      });
    }
    if (deps.broker) {
      this.broker = new BrokerStatsFeed({
        view: deps.broker, bus: deps.bus, intervalMs: brokerStatsMs, listening: () => size('broker') > 0,
        send: (stats) => deps.io()?.to(roomOf('broker')).emit('broker', stats),
      });
    }
  }

  start(): void {
    this.rules?.start();
    this.broker?.start();
    if (this.deps.accounts) this.offAccounts = this.deps.bus.on('accountsChanged', 'realtime', () => this.accountsChanged());
  }

  stop(): void {
    this.rules?.stop();
    this.broker?.stop();
    this.offAccounts?.();
    clearTimeout(this.accountsTimer);
  }

  /** A new socket's `subscribe` and `unsubscribe` handlers. */
  attach(socket: LiveSocket, log: Logger): void {
    socket.on('subscribe', (topic, ack) => void this.subscribe(socket, topic).then((a) => reply(ack, a), (err: unknown) => {
      log.error({ err, topic }, 'subscription failed');
      reply(ack, { ok: false, error: 'RUMAH_ERR_INTERNAL', message: 'the subscription failed' });
    }));
    socket.on('unsubscribe', (topic, ack) => {
      if (typeof topic === 'string') void socket.leave(roomOf(topic));
      reply(ack, { ok: true });
    });
  }

  private async subscribe(socket: LiveSocket, topic: unknown): Promise<Ack> {
    const role = typeof topic === 'string' ? topicRole(topic) : undefined;
    if (typeof topic !== 'string' || !role) return { ok: false, error: ErrorCodes.BAD_REQUEST, message: `unknown live topic ${JSON.stringify(topic)?.slice(0, 80)}` };
    if (role === 'admin' && socket.data.principal.role !== 'admin') return { ok: false, error: ErrorCodes.FORBIDDEN, message: `only admins may subscribe to ${topic}` };
    const now = Date.now();
    let window = this.asked.get(socket);
    if (!window || now - window.since >= 60_000) this.asked.set(socket, (window = { since: now, count: 0 }));
    if (++window.count > SUBSCRIBES_PER_MINUTE) return { ok: false, error: ErrorCodes.RATE_LIMITED, message: `at most ${SUBSCRIBES_PER_MINUTE} subscriptions a minute per connection` };
    if (socket.rooms.size > MAX_TOPICS_PER_SOCKET) return { ok: false, error: ErrorCodes.RATE_LIMITED, message: `at most ${MAX_TOPICS_PER_SOCKET} live topics per connection` };
    if (topic === 'rules') {
      if (!this.rules) return unavailable(topic);
      void socket.join(roomOf(topic));
      socket.emit('rules', this.rules.fullList());
    } else if (topic.startsWith('rule:')) {
      const id = topic.slice('rule:'.length);
      if (!this.rules) return unavailable(topic);
      if (!this.deps.rules?.status(id)) return { ok: false, error: ErrorCodes.NOT_FOUND, message: `no rule "${id}"` };
      void socket.join(roomOf(topic));
      socket.emit('ruleTraces', this.rules.fullTraces(id));
    } else if (topic === 'broker') {
      if (!this.broker) return unavailable(topic);
      void socket.join(roomOf(topic));
      socket.emit('broker', this.broker.full());
    } else if (topic === 'accounts') {
      if (!this.deps.accounts) return unavailable(topic);
      // Joined first: a change while the list is read is pushed again after it.
      void socket.join(roomOf(topic));
      socket.emit('accounts', { accounts: await this.deps.accounts() });
    }
    return { ok: true };
  }

  /** A burst of account changes (a script creating 50) is one push per interval. */
  private accountsChanged(): void {
    if (this.accountsTimer || !this.deps.accounts) return;
    this.accountsTimer = setTimeout(() => {
      this.accountsTimer = undefined;
      const io = this.deps.io();
      if (!io?.sockets.adapter.rooms.get(roomOf('accounts'))?.size) return;
      this.deps.accounts!().then((accounts) => io.to(roomOf('accounts')).emit('accounts', { accounts }), (err: unknown) => this.deps.log.warn({ err }, 'accounts list not sent'));
    }, this.deps.intervalMs);
    this.accountsTimer.unref();
  }
}

function unavailable(topic: string): Ack {
  return { ok: false, error: ErrorCodes.NOT_FOUND, message: `${topic} is not available on this hub` };
}

function reply(ack: unknown, value: Ack): void {
  if (typeof ack === 'function') (ack as (a: Ack) => void)(value);
}
