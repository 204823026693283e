// When each MQTT 5 session ends: the Session Expiry Interval [MQTT-3.1.2-23] of the sessions that have a finite one,
// and, once the client is gone, the moment it runs out. aedes 2.0.0-beta.1 keeps that moment in a timer only
// (moscajs/aedes#839): after a restart or a crash a session it was counting down lived in broker.db until its client
// came back, possibly never. Written through to the `session_expiry` table like every other kind of session state;
// the broker side (what is written when, and what happens at the deadline) is server/mqtt/session-expiry.ts.
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { Tx } from './write-batcher.js';

/** One session's expiry: `expiresAt` (ms since the epoch) is undefined while its client is connected. */
export interface SessionDeadline {
  clientId: string;
  /** Seconds, as the client gave it (already clamped to mqtt.maxSessionExpiry by aedes). */
  interval: number;
  expiresAt: number | undefined;
}

interface Row {
  client_id: string;
  expiry_interval: number;
  expires_at: number | null;
}

export class SessionExpiryStore {
  readonly #deadlines = new Map<string, SessionDeadline>();

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<SessionExpiryStore> {
    const store = new SessionExpiryStore(
      await conn.prepare(
        'INSERT INTO session_expiry (client_id, expiry_interval, expires_at) VALUES (?, ?, ?) ' +
          'ON CONFLICT (client_id) DO UPDATE SET expiry_interval = excluded.expiry_interval, expires_at = excluded.expires_at',
      ),
      await conn.prepare('DELETE FROM session_expiry WHERE client_id = ?'),
    );
    for (const row of await conn.all<Row>('SELECT client_id, expiry_interval, expires_at FROM session_expiry ORDER BY rowid')) {
      store.#deadlines.set(row.client_id, { clientId: row.client_id, interval: row.expiry_interval, expiresAt: row.expires_at ?? undefined });
    }
    return store;
  }

  get size(): number {
    return this.#deadlines.size;
  }

  /** Copies: a caller keeping one sees the store as it was when asked. */
  all(): SessionDeadline[] {
    return [...this.#deadlines.values()].map((deadline) => ({ ...deadline }));
  }

  get(clientId: string): SessionDeadline | undefined {
    const deadline = this.#deadlines.get(clientId);
    return deadline && { ...deadline };
  }

  prepareSet(deadline: SessionDeadline): (tx: Tx) => void {
    // Whole milliseconds, as the column keeps them: the copy in memory compares equal to one read back.
    const copy = { ...deadline, expiresAt: deadline.expiresAt === undefined ? undefined : Math.round(deadline.expiresAt) };
    if (!Number.isInteger(copy.interval) || copy.interval <= 0) throw new RangeError(`session expiry interval must be a positive integer, got ${copy.interval}`);
    if (copy.expiresAt !== undefined && !Number.isFinite(copy.expiresAt)) throw new RangeError(`session deadline must be a finite time, got ${copy.expiresAt}`);
    return (tx) => {
      const previous = this.#set(copy.clientId, copy);
      tx.onRollback(() => void this.#set(copy.clientId, previous));
      tx.run(this.upsertSql, [copy.clientId, copy.interval, copy.expiresAt ?? null]);
    };
  }

  /** Removes the client's row, if any; returns what it was. */
  delete(tx: Tx, clientId: string): SessionDeadline | undefined {
    const previous = this.#set(clientId, undefined);
    if (previous === undefined) return undefined;
    tx.onRollback(() => void this.#set(clientId, previous));
    tx.run(this.removeSql, [clientId]);
    return previous;
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }

  #set(clientId: string, deadline: SessionDeadline | undefined): SessionDeadline | undefined {
    const previous = this.#deadlines.get(clientId);
    if (deadline === undefined) this.#deadlines.delete(clientId);
    else this.#deadlines.set(clientId, deadline);
    return previous;
  }
}
