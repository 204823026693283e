/**
 * Reconnect delays: 1 s, doubling to 60 s, each with up to ±20 % jitter so that bridges (or many hubs bridging to
 * one cloud broker) that lost the same remote do not come back in step. Reset once a connection is accepted.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: { firstMs?: number; maxMs?: number; random?: () => number } = {}) {}

  next(): number {
    const first = this.opts.firstMs ?? 1000;
    const max = this.opts.maxMs ?? 60_000;
    const base = Math.min(max, first * 2 ** Math.min(this.attempt++, 16));
    const jitter = 1 + ((this.opts.random ?? Math.random)() * 0.4 - 0.2);
    return Math.round(base * jitter);
  }

  reset(): void {
    this.attempt = 0;
  }
}
