/**
 * A seeded generator (mulberry32: 32-bit state, fast, good enough to pick packets), so a failing fuzz run can be
 * repeated: the seed is printed, FUZZ_SEED=<seed> runs the same choices again. Each fuzz connection gets its own
 * generator derived from the seed and its number, so what one connection sends does not depend on how the others
 * were scheduled (the timing between connections still does).
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator for the n-th stream of this seed. */
  static derive(seed: number, n: number): Prng {
    return new Prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35));
  }

  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** Printable ASCII of length n. */
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(32, 126));
    return s;
  }
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** FUZZ_SEED from the environment (decimal), or a fresh one. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED;
  if (raw && /^\d+$/.test(raw)) return Number(raw) >>> 0;
  return randomSeed();
}
