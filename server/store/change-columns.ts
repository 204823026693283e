import type { StateChange } from '../core/events.js';
import type { Cause, StateValue } from '../core/model.js';

/** What the history writer keeps of a change: all it writes. */
export type QueuedChange = Pick<StateChange, 'deviceId' | 'property' | 'value' | 'ts' | 'cause'>;

/**
 * Queued state changes kept as columns instead of the change objects themselves. While the hub is busy a change
 * waits up to a second for its batch; an object per change (and the boxed numbers in it) living that long was
 * copied by each of V8's young-generation collections and then promoted to the old generation, which showed as
 * the GC helper threads' CPU time under load. Here a change costs no allocation: ids and property names are
 * strings the registry already holds, times and finite numbers go to double arrays (V8 stores them unboxed),
 * anything else to `others`, causes are shared objects.
 *
 * The columns are also reused: a batch the writer has written is given back (recycle()) and its arrays hold the next
 * one. Grown by push() a second's batch (~20,000 changes at 5,000 reports/s) allocated ~1 KB of array copies per
 * report, and arrays under V8's large-object size were copied by every young-generation collection while they
 * filled (measured with bench/tails.ts and the inspector's sampling heap profiler).
 */
export class ChangeColumns {
  private count = 0;
  private capacity: number;
  private deviceIds: Array<string | undefined> = [];
  private properties: Array<string | undefined> = [];
  private causes: Array<Cause | undefined> = [];
  private ts: Float64Array;
  /** The value when it is a finite number, else NaN and the value is in `others`. */
  private numbers: Float64Array;
  private others: Array<StateValue | undefined> = [];
  /** Characters of each change's value that is not a number (0 for numbers), and their total: see fitting(). */
  private sizes: Float64Array;
  chars = 0;
  /** A written batch given back (recycle()): the storage takeFirst() hands this queue next. */
  private spare?: ChangeColumns;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.ts = new Float64Array(capacity);
    this.numbers = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(c: QueuedChange, size = 0): void {
    const i = this.count;
    if (i === this.capacity) this.grow();
    this.sizes[i] = size;
    this.chars += size;
    this.deviceIds[i] = c.deviceId;
    this.properties[i] = c.property;
    this.ts[i] = c.ts;
    const v = c.value;
    if (typeof v === 'number' && Number.isFinite(v)) {
      this.numbers[i] = v;
      this.others[i] = undefined;
    } else {
      this.numbers[i] = NaN;
      this.others[i] = v;
    }
    this.causes[i] = c.cause;
    this.count = i + 1;
  }

  deviceId(i: number): string {
    return this.deviceIds[i]!;
  }

  property(i: number): string {
    return this.properties[i]!;
  }

  time(i: number): number {
    return this.ts[i]!;
  }

  cause(i: number): Cause {
    return this.causes[i]!;
  }

  value(i: number): StateValue {
    const n = this.numbers[i]!;
    return Number.isNaN(n) ? this.others[i]! : n;
  }

  at(i: number): QueuedChange {
    return { deviceId: this.deviceId(i), property: this.property(i), value: this.value(i), ts: this.time(i), cause: this.cause(i) };
  }

  /**
   * How many of the first changes (at least one, at most maxCount) hold at most maxChars of values together: a
   * batch's rows are one JSON string, and 50,000 changes of 64 Ki characters each would be longer than V8 allows.
   */
  fitting(maxChars: number, maxCount: number): number {
    const n = Math.min(maxCount, this.count);
    if (this.chars <= maxChars) return n;
    let chars = 0;
    for (let i = 0; i < n; i++) {
      chars += this.sizes[i]!;
      if (chars > maxChars) return Math.max(1, i);
    }
    return n;
  }

  /** Removes the first n changes (all when n ≥ length) and returns them as their own columns. */
  takeFirst(n: number): ChangeColumns {
    const taken = this.spare ?? new ChangeColumns();
    this.spare = undefined;
    if (n >= this.count) {
      // The usual case: the whole queue is one batch. Swap storage with the (empty) taken columns: no copy.
      this.swap(taken);
      return taken;
    }
    for (let i = 0; i < n; i++) taken.push(this.at(i), this.sizes[i]!);
    const rest = this.count - n;
    this.ts.copyWithin(0, n, this.count);
    this.numbers.copyWithin(0, n, this.count);
    this.sizes.copyWithin(0, n, this.count);
    for (let i = 0; i < rest; i++) {
      this.deviceIds[i] = this.deviceIds[i + n];
      this.properties[i] = this.properties[i + n];
      this.others[i] = this.others[i + n];
      this.causes[i] = this.causes[i + n];
    }
    this.release(rest, this.count);
    this.count = rest;
    this.chars -= taken.chars;
    return taken;
  }

  /**
   * A batch taken from this queue, written: its storage is kept for a later batch. One far larger than what it held
   * (grown by a burst) is left to the GC instead, so a burst's arrays are not kept for good.
   */
  recycle(batch: ChangeColumns): void {
    if (batch === this || batch.capacity > Math.max(4096, batch.count * 4)) return;
    batch.release(0, batch.count);
    batch.count = 0;
    batch.chars = 0;
    this.spare = batch;
  }

  /** Drops the references held in slots [from, to) (values may be long strings; devices may be removed). */
  private release(from: number, to: number): void {
    this.deviceIds.fill(undefined, from, to);
    this.properties.fill(undefined, from, to);
    this.others.fill(undefined, from, to);
    this.causes.fill(undefined, from, to);
  }

  private swap(other: ChangeColumns): void {
    const { count, capacity, deviceIds, properties, causes, ts, numbers, others, sizes, chars } = this;
    this.count = other.count;
    this.capacity = other.capacity;
    this.deviceIds = other.deviceIds;
    this.properties = other.properties;
    this.causes = other.causes;
    this.ts = other.ts;
    this.numbers = other.numbers;
    this.others = other.others;
    this.sizes = other.sizes;
    this.chars = other.chars;
    Object.assign(other, { count, capacity, deviceIds, properties, causes, ts, numbers, others, sizes, chars });
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = (a: Float64Array): Float64Array => {
      const b = new Float64Array(this.capacity);
      b.set(a);
      return b;
    };
    this.ts = grown(this.ts);
    this.numbers = grown(this.numbers);
    this.sizes = grown(this.sizes);
  }
}
