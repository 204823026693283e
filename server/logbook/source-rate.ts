// How many entries one source (a device, a user, a rule, logins, pairing) may add: a token bucket each, so a door
// opened ten times in a minute is all there, and a binary sensor flapping every 100 ms is not 36,000 entries an
// hour. What a bucket refused is counted and said by the source's next entry ("12 more not logged").

export interface SourceRateOptions {
  /** Entries a minute one source may add, sustained. */
  perMinute: number;
  /** Entries one source may add at once after a quiet time. */
  burst: number;
  /** Buckets kept at most; past it the full ones are forgotten (they would say the same as a new one). */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
}

export class SourceRate {
  /** Entries refused since start, all sources. */
  refusedTotal = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxSources: number;

  constructor(private readonly opts: SourceRateOptions) {
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /** undefined: refused (and counted). A number: allowed, with how many this source had refused since. */
  take(source: string, now: number): number | undefined {
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= this.maxSources) this.forgetFull(now);
      b = { tokens: this.opts.burst, at: now, refused: 0 };
      this.buckets.set(source, b);
    }
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) * this.opts.perMinute) / 60_000);
    b.at = now;
    if (b.tokens < 1) {
      b.refused++;
      this.refusedTotal++;
      return undefined;
    }
    b.tokens -= 1;
    const refused = b.refused;
    b.refused = 0;
    return refused;
  }

  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.refused === 0 && b.tokens + ((now - b.at) * this.opts.perMinute) / 60_000 >= this.opts.burst) this.buckets.delete(key);
    }
    // Still full of busy sources (names an attacker chose): start again rather than grow.
    if (this.buckets.size >= this.maxSources) this.buckets.clear();
  }
}
