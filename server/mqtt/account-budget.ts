/**
 * Publish budgets per account and per address, so that one account's flood cannot take the others' share.
 *
 * Measured before (issue 15, item 10): one device account with 20 connections offering 3.2 M state changes in 10 s
 * pushed another device's QoS 1 PUBACK to 342 ms median, 2.2 s max. The per-client bucket (flow-control.ts) did
 * not bind — 20 connections had 20 buckets — and when the history writer fell behind, every client waited alike.
 *
 * Here every account has one token bucket, whatever its number of connections (device accounts mqtt.accountPublish*,
 * admins mqtt.adminPublish*); every address has one too (mqtt.addressPublish*, device accounts and join-window
 * candidates; candidates are counted by address only, since their names are whatever they claim). A publish costs
 * one unit, plus one per 4 KiB of payload, plus one per state change it made beyond the first (charged after the
 * registry parsed it: the budget is also the history writer's share). An account over budget is not dropped: its
 * publishes wait, which holds aedes's authorizePublish callback, and aedes reads a client's next chunk only after the
 * previous one was handled, so its sockets are not read and TCP pushes back on the sender (a QoS 1 message waits,
 * never lost). Charging state changes keeps any one device account far below what the history writer takes, so the
 * writer falls behind only when the house as a whole sends too much: then, as before, every client waits (flow-
 * control.ts `held`). Before that, from half of mqemitter's bound, the accounts that have spent more than a tenth of a
 * second of their rate wait (lightUnits): the flooder, not the device that reports now and then.
 */
import type { Client } from 'aedes';
import type { EventBus } from '../core/event-bus.js';
import type { Config } from '../config/schema.js';
import type { MqttIdentity } from './identity.js';

export interface Rate {
  /** Units per second, sustained. */
  rate: number;
  /** Units that may be spent at once after a quiet time. */
  burst: number;
}

export interface AccountBudgetOptions {
  device: Rate;
  admin: Rate;
  address: Rate;
  /** True while routing is overloaded (mqemitter's queue deep): heavy accounts wait. */
  pressure: () => boolean;
  /** State changes are charged to the account whose message made them (attach). */
  bus?: EventBus;
  now?: () => number;
}

/** Bytes of payload that cost one unit more. */
export const unitBytes = 4096;
/** Accounts whose pauses /metrics lists by name; more are summed under one label. */
const MAX_LISTED = 1000;
const PRESSURE_POLL_MS = 5;
/** The budgets from the broker's configuration. */
export function budgetOptions(c: Config['mqtt'], bus: EventBus, pressure: () => boolean): AccountBudgetOptions {
  return {
    bus,
    device: { rate: c.accountPublishRate, burst: c.accountPublishBurst },
    admin: { rate: c.adminPublishRate, burst: c.adminPublishBurst },
    address: { rate: c.addressPublishRate, burst: c.addressPublishBurst },
    pressure,
  };
}

interface Bucket {
  tokens: number;
  last: number;
  readonly rate: Rate;
}

interface Account extends Bucket {
  readonly key: string;
  /** The label /metrics shows: the username, or `address <ip>` for candidates. */
  readonly label: string;
  readonly address?: Bucket & { refs: number; key: string };
  clients: number;
  waiting: Array<{ cost: number; go: () => void; client: Client }>;
  timer?: NodeJS.Timeout;
  /** Units spent in this turn of the event loop (turnUnits). */
  turnSpent: number;
}

export class AccountBudget {
  /** Publishes that had to wait for the account's budget (each a pause in reading that socket), per account label. */
  readonly pauses = new Map<string, number>();
  pausesTotal = 0;
  private readonly accounts = new Map<string, Account>();
  private readonly addresses = new Map<string, Bucket & { refs: number; key: string }>();
  private readonly byClient = new WeakMap<Client, Account>();
  private readonly byUsername = new Map<string, Account>();
  private readonly now: () => number;
  /** State changes seen since the last client message was dispatched (budget.attach). */
  private changes = 0;
  private readonly offs: Array<() => void> = [];
  /** Accounts that spent in this turn, and those waiting only for the next turn (turnUnits). */
  private readonly spentThisTurn: Account[] = [];
  private readonly waitingForTurn = new Set<Account>();
  private turnScheduled = false;

  constructor(private readonly opts: AccountBudgetOptions) {
    this.now = opts.now ?? (() => performance.now());
    if (opts.bus) this.attach(opts.bus);
  }

  /**
   * Charges state changes to the account whose message made them. The registry parses a message synchronously in its
   * own `message` listener, which the hub adds before the broker exists: by the time this listener runs, the
   * stateChanged events counted since the previous message are this message's.
   */
  private attach(bus: EventBus): void {
    this.offs.push(
      bus.on('stateChanged', 'account-budget', () => void this.changes++),
      bus.on('message', 'account-budget', (msg) => {
        const extra = this.changes - 1;
        this.changes = 0;
        if (extra <= 0 || msg.username === undefined) return;
        const account = this.byUsername.get(msg.username);
        if (account) {
          refill(account, this.now());
          account.tokens -= extra;
          this.spend(account, extra);
        }
      }),
    );
  }

  /**
   * admit() without a callback, for the usual case: true when the account may publish now (its units are taken);
   * false when it must wait, and the caller goes through admit(). No closure per message on the broker path.
   */
  tryAdmit(client: Client, identity: MqttIdentity | undefined, packet: object): boolean {
    const account = this.account(client, identity);
    return account.waiting.length === 0 && this.take(account, cost((packet as { payload?: unknown }).payload));
  }

  /** Calls `go` when the client may publish (at once when it may now); in order per account, so per client too. */
  admit(client: Client, identity: MqttIdentity | undefined, packet: object, go: () => void): void {
    const account = this.account(client, identity);
    const units = cost((packet as { payload?: unknown }).payload);
    if (account.waiting.length === 0 && this.take(account, units)) return go();
    this.paused(account);
    account.waiting.push({ cost: units, go, client });
    this.schedule(account);
  }

  /** The client left; its account is forgotten with its last client. */
  forget(client: Client): void {
    const account = this.byClient.get(client);
    if (!account) return;
    this.byClient.delete(client);
    // Like flow-control.ts: what a closed client had waiting is not routed (nothing was acknowledged; it resends).
    account.waiting = account.waiting.filter((w) => w.client !== client);
    if (--account.clients > 0) return;
    clearTimeout(account.timer);
    account.timer = undefined;
    account.waiting.length = 0;
    this.accounts.delete(account.key);
    if (this.byUsername.get(account.label) === account) this.byUsername.delete(account.label);
    if (account.address && --account.address.refs === 0) this.addresses.delete(account.address.key);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const account of this.accounts.values()) {
      clearTimeout(account.timer);
      account.waiting.length = 0;
    }
    this.waitingForTurn.clear();
    this.accounts.clear();
    this.addresses.clear();
    this.byUsername.clear();
  }

  private account(client: Client, identity: MqttIdentity | undefined): Account {
    const known = this.byClient.get(client);
    if (known) return known;
    const address = remoteAddress(client);
    // Candidates and anonymous clients name themselves: counted by where they come from.
    const byName = identity !== undefined && (identity.kind === 'admin' || identity.kind === 'device');
    const key = byName ? `user\n${identity.username}` : `address\n${address}`;
    let account = this.accounts.get(key);
    if (!account) {
      const rate = identity?.kind === 'admin' ? this.opts.admin : this.opts.device;
      // Admins are the hub's own tools and bridges set up by the owner: their account's budget only.
      const addr = identity?.kind === 'admin' ? undefined : this.addressBucket(address);
      account = { key, label: byName ? identity.username : `address ${address}`, tokens: rate.burst, last: this.now(), rate, clients: 0, waiting: [], turnSpent: 0, ...(addr ? { address: addr } : {}) };
      this.accounts.set(key, account);
      if (byName) this.byUsername.set(identity.username, account);
    }
    account.clients++;
    this.byClient.set(client, account);
    return account;
  }

  private addressBucket(address: string): Bucket & { refs: number; key: string } {
    let bucket = this.addresses.get(address);
    if (!bucket) {
      bucket = { key: address, tokens: this.opts.address.burst, last: this.now(), rate: this.opts.address, refs: 0 };
      this.addresses.set(address, bucket);
    }
    bucket.refs++;
    return bucket;
  }

  /**
   * Spends `units` when the account (and its address) has a token, has not spent its share of this turn, and is light
   * enough under pressure.
   */
  private take(account: Account, units: number): boolean {
    if (account.turnSpent >= turnUnits(account.rate)) return false;
    const now = this.now();
    refill(account, now);
    if (account.tokens < 1) return false;
    if (account.address) {
      refill(account.address, now);
      if (account.address.tokens < 1) return false;
    }
    if (account.tokens < account.rate.burst - lightUnits(account.rate) && this.opts.pressure()) return false;
    // A large message may take the bucket below zero: the account then waits for what it spent.
    account.tokens -= units;
    if (account.address) account.address.tokens -= units;
    this.spend(account, units);
    return true;
  }

  /** Counts what the account spent in this turn; the next turn starts everyone's share afresh. */
  private spend(account: Account, units: number): void {
    if (account.turnSpent === 0) this.spentThisTurn.push(account);
    account.turnSpent += units;
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    // setImmediate: after the poll phase, so every socket that was readable has had its read before the share renews.
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    for (const account of this.spentThisTurn) account.turnSpent = 0;
    this.spentThisTurn.length = 0;
    const waiting = [...this.waitingForTurn];
    this.waitingForTurn.clear();
    for (const account of waiting) this.drain(account);
  };

  /** Lets the account's waiting publishes go, in order, while it may spend; waits again for the rest. */
  private drain(account: Account): void {
    if (this.accounts.get(account.key) !== account) return;
    while (account.waiting.length > 0 && this.take(account, account.waiting[0]!.cost)) account.waiting.shift()!.go();
    if (account.waiting.length > 0) this.schedule(account);
  }

  private schedule(account: Account): void {
    if (account.timer || this.waitingForTurn.has(account)) return;
    // Held by its share of the turn: it tries again in the next turn (spend() has scheduled it), which waits for tokens
    // in turn if they are what is short then.
    if (account.turnSpent >= turnUnits(account.rate)) {
      this.waitingForTurn.add(account);
      return;
    }
    const short = Math.max(1 - account.tokens, account.address ? 1 - account.address.tokens : 0);
    const rate = Math.min(account.rate.rate, account.address?.rate.rate ?? Infinity);
    // Out of tokens: wait for the next one. Only held by pressure: look again soon (the routing queue drains in milliseconds).
    const waitMs = short > 0 ? Math.max(1, Math.ceil((short * 1000) / rate)) : PRESSURE_POLL_MS;
    account.timer = setTimeout(() => {
      account.timer = undefined;
      this.drain(account);
    }, waitMs);
  }

  private paused(account: Account): void {
    this.pausesTotal++;
    const label = this.pauses.has(account.label) || this.pauses.size < MAX_LISTED ? account.label : 'other accounts';
    this.pauses.set(label, (this.pauses.get(label) ?? 0) + 1);
  }
}

/**
 * What an account may spend in one turn of the event loop: a twentieth of its burst, at least 100 units. The burst is
 * spread over turns, so that what one read of a flooding account's sockets lets in cannot hold the loop for everything
 * the burst allows: 40 messages of 50 new values (a device account's 2,000 units) held every other client ~40 ms in one
 * task, measured (bench/fair-share.ts); 100 units are two of them, ~2 ms. The rest go in the next turn, after every
 * other socket that was readable. A device's report of a few values, and its QoS 1 retries, stay far below it.
 */
function turnUnits(rate: Rate): number {
  return Math.max(100, rate.burst / 20);
}

/**
 * Under pressure an account still goes on while it has spent no more than this beyond its refill: a tenth of a
 * second of its rate (at least 10 units). The device that reports now and then stays there; a flooder leaves it at
 * once, and so does a burst — what the writer gets meanwhile is bounded by this per account.
 */
function lightUnits(rate: Rate): number {
  return Math.max(10, rate.rate / 10);
}

function cost(payload: unknown): number {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : 0;
  return 1 + Math.floor(bytes / unitBytes);
}

function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; socket?: { remoteAddress?: string } } | undefined;
  const req = (client as unknown as { req?: { socket?: { remoteAddress?: string } } }).req;
  return conn?.remoteAddress ?? req?.socket?.remoteAddress ?? conn?.socket?.remoteAddress ?? '?';
}

function refill(bucket: Bucket, now: number): void {
  bucket.tokens = Math.min(bucket.rate.burst, bucket.tokens + ((now - bucket.last) * bucket.rate.rate) / 1000);
  bucket.last = now;
}
