// Spreads telemetry so the whole simulation publishes `rate` messages per second: a token bucket refilled on a
// short timer, spent by giving devices turns in round-robin order. A device's turn costs what it published
// (a plug's SENSOR is one message, a Homie plug's three properties are three); a turn that publishes nothing (a
// button nobody pressed, a device whose connection is down or backed up) costs nothing and the next device gets
// one. The bucket holds at most a fifth of a second of messages, so a stalled event loop or an outage does not
// turn into a burst afterwards: the rate is a ceiling, never caught up.

export interface SchedulerOptions {
  rate: number;
  /** Gives the next device its turn; returns the messages it published. */
  turn(): number;
  /** Turns that may publish nothing before the tick gives up (the number of devices: one full round). */
  idleTurns: number;
  tickMs?: number;
  now?: () => number;
}

export class Scheduler {
  private timer?: NodeJS.Timeout;
  private tokens = 0;
  private last = 0;
  private readonly now: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 50);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    const now = this.now();
    const { rate } = this.opts;
    this.tokens = Math.min(this.tokens + (rate * (now - this.last)) / 1000, Math.max(1, rate / 5));
    this.last = now;
    // Bounded: every turn either spends at least one token or counts as idle, and idle turns are capped.
    let idle = 0;
    while (this.tokens >= 1 && idle < this.opts.idleTurns) {
      const sent = this.opts.turn();
      if (sent > 0) this.tokens -= sent;
      else idle++;
    }
  }
}
