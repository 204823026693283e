/**
 * One timer for every "12 s ago" label on the page: 1,000 tiles share it instead of running 1,000 intervals.
 * It runs only while something listens.
 */
export class Ticker {
  private readonly listeners = new Set<() => void>();
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly ms: number) {}

  on(fn: () => void): () => void {
    this.listeners.add(fn);
    this.timer ??= setInterval(() => {
      for (const listener of this.listeners) listener();
    }, this.ms);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}
