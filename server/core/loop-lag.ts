import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Event-loop lag, the one number that says whether the hub keeps up: p99 over the last complete window (a minute
 * by default), so /metrics and the soak script read a stable figure rather than one reset by whoever scrapes.
 */
export class LoopLag {
  private histogram?: IntervalHistogram;
  private timer?: NodeJS.Timeout;
  /** p99 and max of the last complete window, in milliseconds. */
  p99Ms = 0;
  maxMs = 0;

  constructor(private readonly windowMs = 60_000) {}

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), this.windowMs);
    this.timer.unref();
  }

  /** Closes the current window now (used by tests and at the first scrape before a window completed). */
  roll(): void {
    if (!this.histogram) return;
    this.p99Ms = this.histogram.percentile(99) / 1e6;
    this.maxMs = this.histogram.max / 1e6;
    this.histogram.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
