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
 */
export class ChangeColumns {
  private deviceIds: string[] = [];
  private properties: string[] = [];
  private ts: number[] = [];
  /** The value when it is a finite number, else NaN and the value is in `others`. */
  private numbers: number[] = [];
  private others: Array<StateValue | undefined> = [];
  private causes: Cause[] = [];
  /** Characters of each change's value that is not a number (0 for numbers), and their total: see fitting(). */
  private sizes: number[] = [];
  chars = 0;

  get length(): number {
    return this.ts.length;
  }

  push(c: QueuedChange, size = 0): void {
    this.sizes.push(size);
    this.chars += size;
    this.deviceIds.push(c.deviceId);
    this.properties.push(c.property);
    this.ts.push(c.ts);
    const v = c.value;
    if (typeof v === 'number' && Number.isFinite(v)) {
      this.numbers.push(v);
      this.others.push(undefined);
    } else {
      this.numbers.push(NaN);
      this.others.push(v);
    }
    this.causes.push(c.cause);
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
    const n = Math.min(maxCount, this.length);
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
    const taken = new ChangeColumns();
    if (n >= this.length) {
      // The usual case: the whole queue is one batch. Hand over the arrays instead of copying them.
      ({ deviceIds: taken.deviceIds, properties: taken.properties, ts: taken.ts, numbers: taken.numbers, others: taken.others, causes: taken.causes, sizes: taken.sizes, chars: taken.chars } = this);
      this.sizes = [];
      this.chars = 0;
      this.deviceIds = [];
      this.properties = [];
      this.ts = [];
      this.numbers = [];
      this.others = [];
      this.causes = [];
      return taken;
    }
    taken.deviceIds = this.deviceIds.splice(0, n);
    taken.properties = this.properties.splice(0, n);
    taken.ts = this.ts.splice(0, n);
    taken.numbers = this.numbers.splice(0, n);
    taken.others = this.others.splice(0, n);
    taken.causes = this.causes.splice(0, n);
    taken.sizes = this.sizes.splice(0, n);
    for (const size of taken.sizes) taken.chars += size;
    this.chars -= taken.chars;
    return taken;
  }
}
