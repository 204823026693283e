// Time for the rules engine, injectable: every `for`, delay, wait, cron and sun timer goes through a Clock, so
// tests (and `rules test` replays) move time forward by hand instead of waiting five real minutes.

export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); a `for: 30d` must not.
const MAX_NODE_DELAY = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + ms;
    const arm = (): void => {
      const left = due - Date.now();
      handle = left > MAX_NODE_DELAY ? setTimeout(arm, MAX_NODE_DELAY) : setTimeout(fn, Math.max(0, left));
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets the promise chains a fired timer started (runs, their next timers) go on before time moves again. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock that only moves when told: `await clock.advance(5 * 60_000)` fires every timer due on the way, in order. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(start = Date.UTC(2025, 2, 3, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return { cancel: () => void (this.timers = this.timers.filter((p) => p !== timer)) };
  }

  /** Pending timers (for tests that check nothing is left behind). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each due timer at its own time and letting its work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.t + Math.max(0, ms);
    for (;;) {
      await settle();
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
    await settle();
  }

  /** Moves to an absolute time (never backwards). */
  advanceTo(time: number): Promise<void> {
    return this.advance(time - this.t);
  }
}
