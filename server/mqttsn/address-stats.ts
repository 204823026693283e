/** What the gateway counts per source address (and in all). */
export interface AddressCounters {
  datagrams: number;
  /** Undecodable: truncated, wrong length (1- or 3-octet form), unknown MsgType, reserved values. */
  malformed: number;
  /** Over mqttsn.datagramRate from one address: dropped unread. */
  flooded: number;
  /** CONNECT of a client id not bound to an account, or from an address its binding does not allow. */
  refused: number;
  /** PUBLISH, SUBSCRIBE or UNSUBSCRIBE naming a topic id never registered or predefined (answered 0x02). */
  invalidTopicId: number;
  /** Messages not supported where they came (answered 0x03, or dropped where there is no answer). */
  unsupported: number;
  /** Messages that need a connection from an address with none (answered DISCONNECT). */
  noSession: number;
}

const zero = (): AddressCounters => ({ datagrams: 0, malformed: 0, flooded: 0, refused: 0, invalidTopicId: 0, unsupported: 0, noSession: 0 });

/**
 * Counters and a token bucket per source address, in a map bounded by `maxAddresses` (the address seen longest ago
 * goes first): spoofed sources can make it forget, never grow. One address over its rate is dropped alone.
 */
export class AddressStats {
  readonly total = zero();
  private readonly byAddress = new Map<string, { counters: AddressCounters; tokens: number; at: number }>();

  constructor(private readonly opts: { rate: number; burst: number; maxAddresses: number; now?: () => number }) {}

  /** Counts one datagram; false when the address is over its rate (drop it). */
  admit(address: string): boolean {
    const now = (this.opts.now ?? Date.now)();
    const entry = this.entry(address, now);
    entry.tokens = Math.min(this.opts.burst, entry.tokens + ((now - entry.at) / 1000) * this.opts.rate);
    entry.at = now;
    entry.counters.datagrams++;
    this.total.datagrams++;
    if (entry.tokens < 1) {
      this.count(address, 'flooded');
      return false;
    }
    entry.tokens -= 1;
    return true;
  }

  count(address: string, what: Exclude<keyof AddressCounters, 'datagrams'>): void {
    this.entry(address, (this.opts.now ?? Date.now)()).counters[what]++;
    this.total[what]++;
  }

  /** Addresses counted now (never more than maxAddresses). */
  get size(): number {
    return this.byAddress.size;
  }

  of(address: string): AddressCounters | undefined {
    return this.byAddress.get(address)?.counters;
  }

  /** The addresses with the most refusals first (for the logs, metrics and tests). */
  worst(n = 20): Array<{ address: string } & AddressCounters> {
    const bad = (c: AddressCounters): number => c.malformed + c.flooded + c.refused + c.invalidTopicId + c.unsupported + c.noSession;
    return [...this.byAddress].map(([address, e]) => ({ address, ...e.counters })).sort((a, b) => bad(b) - bad(a)).slice(0, n);
  }

  private entry(address: string, now: number): { counters: AddressCounters; tokens: number; at: number } {
    let e = this.byAddress.get(address);
    if (e) {
      // Most recently seen last: the first key is the one to forget.
      this.byAddress.delete(address);
      this.byAddress.set(address, e);
      return e;
    }
    if (this.byAddress.size >= this.opts.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    e = { counters: zero(), tokens: this.opts.burst, at: now };
    this.byAddress.set(address, e);
    return e;
  }
}
