import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Event-loop lag, the one number that says whether the hub keeps up: p99 over the last complete window (a minute
 * by default), so /metrics and the soak script read a stable figure rather than one reset by whoever scrapes.
 */
export class LoopLag {
  /** The histogram's timer period; every recorded interval includes it, so it is subtracted (as under-pressure does). */
  private static readonly resolutionMs = 10;
  private histogram?: IntervalHistogram;
  private timer?: NodeJS.Timeout;
  /** p99 and max of the last complete window, in milliseconds. */
  p99Ms = 0;
  maxMs = 0;

  constructor(private readonly windowMs = 60_000) {}

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: LoopLag.resolutionMs });
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), this.windowMs);
    this.timer.unref();
  }

  /** Closes the current window now (used by tests and at the first scrape before a window completed). */
  roll(): void {
    if (!this.histogram) return;
    // Node records the whole interval between two timer callbacks (an idle loop reads 10.1 ms at resolution 10);
    // the lag is how much later than the period the callback ran.
    const lag = (ns: number) => Math.max(0, ns / 1e6 - LoopLag.resolutionMs);
    this.p99Ms = lag(this.histogram.percentile(99));
    this.maxMs = lag(this.histogram.max);
    this.histogram.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
