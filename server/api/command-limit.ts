/**
 * How many commands one person (or API token) may send a second, as a token bucket: a script in a loop or a
 * stuck dashboard slider could otherwise send hundreds of commands a second to a device that handles a few
 * (a Tasmota relay clicks for each), and to every rule that watches it. Rules are not limited here: they have
 * their own loop and rate guards (rules/engine/guards.ts).
 */
export interface CommandLimitOptions {
  /** Commands a second, sustained. */
  rate: number;
  /** Commands at once after a pause. */
  burst: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Buckets of people who were quiet this long are full again and forgotten, so the map stays small. */
const FORGET_AFTER_MS = 60_000;

export class CommandLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly opts: CommandLimitOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  get rate(): number {
    return this.opts.rate;
  }

  /** 0 when `who` may send a command now (and it is counted); otherwise how many ms until one is allowed. */
  take(who: string): number {
    const now = this.now();
    let bucket = this.buckets.get(who);
    if (!bucket) {
      if (this.buckets.size > 1000) this.forgetQuiet(now);
      bucket = { tokens: this.opts.burst, last: now };
      this.buckets.set(who, bucket);
    }
    bucket.tokens = Math.min(this.opts.burst, bucket.tokens + ((now - bucket.last) * this.opts.rate) / 1000);
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.opts.rate);
  }

  private forgetQuiet(now: number): void {
    for (const [who, bucket] of this.buckets) if (now - bucket.last > FORGET_AFTER_MS) this.buckets.delete(who);
  }
}
