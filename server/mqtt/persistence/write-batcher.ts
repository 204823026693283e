// Groups the writes of one event-loop turn into one SQLite transaction.
//
// Why: aedes acknowledges a QoS 1/2 PUBLISH (and a SUBSCRIBE) only once the persistence promise
// resolves, so that promise must mean "committed". One transaction per operation would cost a WAL
// append + commit each; grouping everything submitted in one turn (and, while a commit is in flight,
// everything that arrives meanwhile) amortises it, and each caller still resolves only after COMMIT.
//
// How: an operation is a synchronous function of a Tx. At flush time the operations run in
// submission order; each updates the in-memory indexes (registering an undo) and queues its SQL.
// Then BEGIN, the statements, COMMIT, sent as one script. If any statement or the COMMIT fails, the transaction is
// rolled back, the in-memory changes are undone newest first (nothing else touched memory between,
// later submissions wait for the next flush), and every caller of the batch is rejected, so memory
// and disk agree and aedes acknowledges nothing that was not stored. An operation that throws while
// running (e.g. "no such packet") is rejected alone, its own changes undone.
import { ErrorCodes, RumahError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { sqliteCode, type Connection, type PreparedStatement, type SqlValue } from './sqlite-connection.js';
import { transactionScript } from './sql-script.js';

export interface Tx {
  /** Queues a statement for this transaction. */
  run(stmt: PreparedStatement, params: readonly SqlValue[]): void;
  /** Registers the inverse of an in-memory change, applied if the transaction rolls back. */
  onRollback(undo: () => void): void;
}

export type Op<T> = (tx: Tx) => T;

export interface BatcherStats {
  /** Transactions committed. */
  transactions: number;
  /** Statements committed. */
  statements: number;
  /** Transactions rolled back after a write failure. */
  failures: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Submitted {
  op: Op<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Exclusive {
  fn(conn: Connection): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class WriteBatcher {
  readonly stats: BatcherStats = { transactions: 0, statements: 0, failures: 0 };
  #pending: Submitted[] = [];
  #exclusive: Exclusive[] = [];
  #scheduled = false;
  #draining = false;
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  #healthy = true;
  #lastError: RumahError | undefined;
  #probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly log: Logger,
    /** How often a failed database is tried again while nothing else writes to it. */
    private readonly probeMs = 5000,
  ) {}

  /**
   * Nothing submitted and nothing being committed: memory is what the file holds, so an operation that memory shows
   * would change nothing may be skipped (sqlite-persistence.ts: every CONNECT's clean-up of a session that has none).
   */
  get idle(): boolean {
    return !this.#scheduled && !this.#draining && this.#pending.length === 0 && this.#exclusive.length === 0;
  }

  /** False from a failed write until the next successful commit. */
  get healthy(): boolean {
    return this.#healthy;
  }

  get lastError(): RumahError | undefined {
    return this.#lastError;
  }

  submit<T>(op: Op<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Runs `fn` alone on the connection, between two transactions (used for checkpoints). */
  exclusive<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<T>((resolve, reject) => {
      this.#exclusive.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Refuses new work and resolves once everything already submitted is settled. */
  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
    if (!this.#draining && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#draining) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: everything aedes submits while handling the current socket
    // read (a whole chunk of packets) joins the same transaction.
    setImmediate(() => {
      this.#scheduled = false;
      this.#draining = true;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const exclusive = this.#exclusive.shift();
        if (exclusive) {
          await exclusive.fn(this.conn).then(exclusive.resolve, exclusive.reject);
          continue;
        }
        if (this.#pending.length === 0) break;
        const batch = this.#pending;
        this.#pending = [];
        await this.#commit(batch);
      }
    } finally {
      // Synchronous with the emptiness check above: a submit after this point schedules a new drain.
      this.#draining = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #commit(batch: Submitted[]): Promise<void> {
    const statements: Array<[PreparedStatement, readonly SqlValue[]]> = [];
    const undos: Array<() => void> = [];
    const tx: Tx = {
      run: (stmt, params) => void statements.push([stmt, params]),
      onRollback: (undo) => void undos.push(undo),
    };
    const outcomes: Outcome[] = batch.map(({ op }) => {
      const firstStatement = statements.length;
      const firstUndo = undos.length;
      try {
        return { ok: true, value: op(tx) };
      } catch (error) {
        this.#undo(undos, firstUndo);
        statements.length = firstStatement;
        return { ok: false, error };
      }
    });
    if (statements.length > 0) {
      try {
        // One script, one trip to SQLite's thread: BEGIN, every statement, COMMIT. sqlite3_exec stops at the
        // first failing statement, so COMMIT never runs after a failure and the ROLLBACK below undoes the rest.
        await this.conn.exec(transactionScript(statements));
        this.stats.transactions++;
        this.stats.statements += statements.length;
        this.#markHealthy();
      } catch (err) {
        // SQLite may already have rolled back (SQLITE_FULL can do that); then this fails harmlessly.
        await this.conn.exec('ROLLBACK').catch(() => undefined);
        this.#undo(undos, 0);
        const error = this.#markFailed(err, batch.length);
        for (let i = 0; i < outcomes.length; i++) if (outcomes[i]!.ok) outcomes[i] = { ok: false, error };
      }
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  #undo(undos: Array<() => void>, downTo: number): void {
    for (let i = undos.length - 1; i >= downTo; i--) {
      try {
        undos[i]!();
      } catch (err) {
        this.log.error({ err }, 'undoing an in-memory change failed; restart rumah to reload the broker state');
      }
    }
    undos.length = downTo;
  }

  #markHealthy(): void {
    if (this.#healthy) return;
    this.#healthy = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.log.info({ file: this.conn.file }, 'broker database writable again');
  }

  #markFailed(err: unknown, operations: number): RumahError {
    const code = sqliteCode(err);
    const reason = err instanceof Error ? err.message : String(err);
    const advice =
      code === 'SQLITE_FULL'
        ? 'Free disk space on that volume; writes resume by themselves.'
        : 'Check the disk and the log; the next write tries again.';
    const error = new RumahError(
      ErrorCodes.DB_WRITE,
      `Writing the broker database ${this.conn.file} failed (${reason}); the MQTT operations in that ` +
        `transaction were not acknowledged. ${advice}`,
      { file: this.conn.file, sqliteCode: code },
    );
    this.#healthy = false;
    this.#lastError = error;
    this.stats.failures++;
    this.#startProbe();
    this.log.error({ err, sqliteCode: code, operations }, 'broker database write failed; transaction rolled back');
    return error;
  }

  /**
   * A failed transaction is rolled back, not retried (its clients were not acknowledged and send again), so in a
   * quiet house nothing would write again and `/healthz` would say "degraded" long after the disk has room. While
   * unhealthy, a tiny real write is tried now and then: rewriting `user_version` with its own value dirties the
   * header page, so the commit appends a WAL frame like any write and fails the same way while the disk is full.
   */
  #startProbe(): void {
    if (this.#probe || this.#closed) return;
    this.#probe = setInterval(() => {
      if (this.#healthy || this.#closed || this.#scheduled || this.#draining) return;
      void this.exclusive(async (conn) => {
        const [row] = await conn.all<{ user_version: number }>('PRAGMA user_version');
        await conn.exec(`BEGIN IMMEDIATE; PRAGMA user_version = ${Number(row?.user_version ?? 0)}; COMMIT;`);
      }).then(
        () => this.#markHealthy(),
        () => this.conn.exec('ROLLBACK').catch(() => undefined),
      );
    }, this.probeMs);
    this.#probe.unref();
  }

  #closedError(): RumahError {
    return new RumahError(ErrorCodes.DB_WRITE, `The broker database ${this.conn.file} is closed (the persistence was destroyed).`);
  }
}
