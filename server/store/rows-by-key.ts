import type { Database, Statement } from './database.js';

/** Keys per query: well under SQLite's limit on host parameters (999 before 3.32). */
const maxKeys = 500;

interface Waiter<R> {
  resolve(row: R | undefined): void;
  reject(err: unknown): void;
}

/**
 * Rows read by key, many lookups to one query. Every MQTT login reads its account's row (revocation and the hash are
 * read from the database each time, so a change made by the CLI counts at once); in a reconnect storm that was one
 * query per CONNECT, each a trip through the one SQLite connection, queued behind the history writer's commits.
 *
 * Lookups made while a query runs wait for the next one, never for the one already running: a row is always read
 * after it was asked for, so a revocation committed before a login asked is seen, as with one query per login. At most
 * one query is in flight; the lookups of one event-loop turn (a socket read's worth of CONNECTs) and of the time the
 * last query took share the next, one lookup of each key whatever the number of logins asking.
 */
export class RowsByKey<R> {
  private pending = new Map<string, Array<Waiter<R>>>();
  private scheduled = false;
  private running = false;

  constructor(
    /** The rows of these keys (missing ones absent), e.g. `SELECT * FROM t WHERE key IN (?, ?…)`. */
    private readonly read: (keys: string[]) => Promise<R[]>,
    private readonly keyOf: (row: R) => string,
  ) {}

  get(key: string): Promise<R | undefined> {
    return new Promise<R | undefined>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate: the CONNECTs parsed from one round of socket reads ask in the same turn and share the query.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    this.running = true;
    try {
      const keys = [...batch.keys()];
      const found = new Map<string, R>();
      for (let i = 0; i < keys.length; i += maxKeys) {
        for (const row of await this.read(keys.slice(i, i + maxKeys))) found.set(this.keyOf(row), row);
      }
      for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    } finally {
      this.running = false;
      if (this.pending.size > 0) this.schedule();
    }
  }
}

/** `?, ?, ?` for `n` keys. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** The lengths the `IN (…)` lists of `readIn` are prepared for: a read of n keys takes the next one up. */
const listLengths = [1, 4, 16, 64, maxKeys];

/**
 * A RowsByKey reader: `select` (`SELECT * FROM t WHERE key IN`) followed by a list of keys, as a statement prepared
 * once per list length. Each query made with `db.all` was parsed and planned again (~85 µs of CPU against ~40 µs
 * prepared, measured): a reconnect storm with one credential reads its one row every few logins (issue 19, item 1).
 * A shorter list of keys is padded with its last key, which finds the same row.
 */
export function readIn<R>(db: Database, select: string): (keys: string[]) => Promise<R[]> {
  const statements = new Map<number, Promise<Statement>>();
  return async (keys) => {
    const length = listLengths.find((n) => n >= keys.length) ?? keys.length;
    let statement = statements.get(length);
    if (statement === undefined) {
      statement = db.prepare(`${select} (${placeholders(length)})`);
      statements.set(length, statement);
      // A failed prepare (the database closing) is tried again by the next read.
      statement.catch(() => statements.delete(length));
    }
    const padded = keys.length === length ? keys : keys.concat(Array.from({ length: length - keys.length }, () => keys[keys.length - 1]!));
    return (await statement).all<R>(padded);
  };
}
