/**
 * Bounds what clients may have in flight, so one flooding device cannot take the hub down.
 *
 * Measured: a bare aedes offered more QoS 0 publishes than it can route collapses and then dies with
 * "Maximum call stack size exceeded" inside mqemitter, whose queue is drained recursively. aedes reads a client's
 * next chunk only after every packet of the previous one was handled, so holding back the authorizePublish
 * callback is real backpressure: the client's socket stops being read and TCP pushes back on the sender.
 * Three bounds: a token bucket per client (sustained rate + burst), the depth of mqemitter's queue for all, and
 * `held` for all (the history writer far behind, see HistoryWriter.behind).
 */
export interface FlowControlOptions {
  rate: number;
  burst: number;
  /** Publishes queued in mqemitter above which every client waits. */
  maxQueued: number;
  queued: () => number;
  /** True while every client must wait for a consumer downstream of routing (the history writer far behind). */
  held?: () => boolean;
  now?: () => number;
}

const HELD_POLL_MS = 5;

interface Bucket {
  tokens: number;
  last: number;
  waiting: Array<() => void>;
  timer?: NodeJS.Timeout | NodeJS.Immediate;
}

export class FlowControl {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  /** Publishes held back so far, for /metrics. */
  throttled = 0;

  constructor(private readonly opts: FlowControlOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** True (and counted) when the client may publish now: the hot path, with no callback to allocate. */
  tryAdmit(clientId: string): boolean {
    const bucket = this.bucket(clientId);
    return bucket.waiting.length === 0 && this.take(bucket);
  }

  /** Calls `go` now when the client may publish, later when it must wait; callbacks keep the client's order. */
  admit(clientId: string, go: () => void): void {
    const bucket = this.bucket(clientId);
    if (bucket.waiting.length === 0 && this.take(bucket)) {
      go();
      return;
    }
    this.throttled++;
    bucket.waiting.push(go);
    this.schedule(clientId, bucket);
  }

  forget(clientId: string): void {
    const bucket = this.buckets.get(clientId);
    if (!bucket) return;
    clearTimer(bucket);
    this.buckets.delete(clientId);
  }

  stop(): void {
    for (const bucket of this.buckets.values()) clearTimer(bucket);
    this.buckets.clear();
  }

  private bucket(clientId: string): Bucket {
    let bucket = this.buckets.get(clientId);
    if (!bucket) {
      bucket = { tokens: this.opts.burst, last: this.now(), waiting: [] };
      this.buckets.set(clientId, bucket);
    }
    return bucket;
  }

  private take(bucket: Bucket): boolean {
    if (this.opts.queued() >= this.opts.maxQueued || this.opts.held?.()) return false;
    const now = this.now();
    bucket.tokens = Math.min(this.opts.burst, bucket.tokens + ((now - bucket.last) * this.opts.rate) / 1000);
    bucket.last = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private schedule(clientId: string, bucket: Bucket): void {
    if (bucket.timer) return;
    const run = (): void => {
      bucket.timer = undefined;
      if (this.buckets.get(clientId) !== bucket) return;
      while (bucket.waiting.length && this.take(bucket)) bucket.waiting.shift()!();
      if (bucket.waiting.length) this.schedule(clientId, bucket);
    };
    if (this.opts.queued() >= this.opts.maxQueued) {
      bucket.timer = setImmediate(run);
    } else if (this.opts.held?.()) {
      // A batch commit takes milliseconds; polling each turn would take the CPU the writer needs.
      bucket.timer = setTimeout(run, HELD_POLL_MS);
    } else {
      const waitMs = Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / this.opts.rate));
      bucket.timer = setTimeout(run, waitMs);
    }
  }
}

function clearTimer(bucket: Bucket): void {
  if (!bucket.timer) return;
  clearTimeout(bucket.timer as NodeJS.Timeout);
  clearImmediate(bucket.timer as NodeJS.Immediate);
  bucket.timer = undefined;
  bucket.waiting.length = 0;
}
