import { diskFullError } from './disk-full.js';
import fs from 'node:fs';
import sqlite3 from 'sqlite3';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** SQLite page cache of rumah.db, KiB (see open()). */
const pageCacheKiB = 16_000;

// The one place that speaks sqlite3's callback API: everything above it awaits promises.

export type SqlValue = string | number | boolean | null | Buffer;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

export interface RunResult {
  changes: number;
  lastID: number;
}

export interface DatabaseOptions {
  /**
   * Run `PRAGMA quick_check` at open when the file is at most this big. It reads every page, so it is only done
   * while that takes well under a second; 0 turns it off. Default 64 MiB.
   */
  quickCheckMaxBytes?: number;
  /**
   * Run that check beside the caller's first reads instead of before open() returns: `checked` settles when it is
   * done, and the caller awaits it before its first write (the hub, issue 19 item 6: ~120 ms of a 46 MiB rumah.db's
   * start were the check alone, the devices' and states' reads then waiting for it).
   */
  checkBeside?: boolean;
}

/** sqlite3 errors carry the SQLite result code name (`SQLITE_FULL`...) in `code`. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What SQL runs on: the Database (a statement waits for the transactions queued before it) or the Tx a transaction
 * hands its body (a statement runs inside that transaction).
 */
export interface Sql {
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  exec(sql: string): Promise<void>;
  /** On a Tx: runs `fn` in the same transaction. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/** The running transaction: what its body issues through it runs inside it. */
export class Tx implements Sql {
  /** @internal */
  constructor(readonly db: Database) {}
  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return this.db.runNow(sql, params);
  }
  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return this.db.getNow<T>(sql, params);
  }
  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return this.db.allNow<T>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.db.execNow(sql);
  }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** A prepared statement: reused across calls, so SQLite parses and plans the SQL once. Pass the Tx to run it inside one. */
export class Statement {
  constructor(
    private readonly db: Database,
    private readonly stmt: sqlite3.Statement,
  ) {}

  async run(params: SqlParams = [], tx?: Tx): Promise<RunResult> {
    if (!this.inside(tx)) await this.db.waitTurn();
    return new Promise((resolve, reject) => {
      this.stmt.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  async get<T>(params: SqlParams = [], tx?: Tx): Promise<T | undefined> {
    if (!this.inside(tx)) await this.db.waitTurn();
    return new Promise((resolve, reject) => {
      this.stmt.get<T>(params, (err: Error | null, row?: T) => (err ? reject(err) : resolve(row)));
    });
  }

  async all<T>(params: SqlParams = [], tx?: Tx): Promise<T[]> {
    if (!this.inside(tx)) await this.db.waitTurn();
    return new Promise((resolve, reject) => {
      this.stmt.all<T>(params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  private inside(tx: Tx | undefined): boolean {
    if (tx && tx.db !== this.db) throw new Error('a statement was run inside a transaction of another database');
    return tx !== undefined;
  }

  /** Idempotent; the Database also finalizes every statement left open when it closes. */
  finalize(): Promise<void> {
    return this.db.finalizeStatement(this);
  }

  /** @internal */
  finalizeRaw(): Promise<void> {
    return new Promise((resolve) => this.stmt.finalize(() => resolve()));
  }
}

export class Database implements Sql {
  /** Tail of the promise chain that serialises transactions on the one connection. */
  private txTail: Promise<void> = Promise.resolve();
  private txPending = 0;
  private readonly statements = new Set<Statement>();
  private closing?: Promise<void>;
  /** The integrity check at open: settled already unless opened with `checkBeside`. */
  checked: Promise<void> = Promise.resolve();

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
    private readonly log: Logger,
  ) {}

  /** Opens (creating if needed) the file, sets the pragmas, and fails with DB_OPEN when it is not a usable database. */
  static async open(file: string, log: Logger, opts: DatabaseOptions = {}): Promise<Database> {
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db: sqlite3.Database = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) =>
        err ? reject(err) : resolve(db),
      );
    }).catch((err: unknown) => {
      throw openError(file, err);
    });
    // Serialized mode: statements run in the order they were issued. Parallel mode buys nothing on one
    // connection (SQLite serialises it anyway) and would let a statement slip into a transaction queued after it.
    raw.serialize();
    const db = new Database(raw, file, log.child({ module: 'db' }));
    try {
      // Reading the schema is what makes SQLite look at the header: a file that is not a database fails here
      // (SQLITE_NOTADB) rather than on the first write hours later.
      await db.get('SELECT count(*) AS n FROM sqlite_schema');
      // WAL lets readers (dashboard queries) run while the history writer commits; NORMAL is durable across
      // process crashes and loses at most the last commits on power loss, which is right for sensor history.
      await db.get('PRAGMA journal_mode = WAL');
      await db.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
      // On a connection of its own, closed after: the check reads every page, and each page it read stayed in this
      // connection's 16 MiB cache for good (14 MiB more idle RSS with a 46 MiB rumah.db).
      const checking = quickCheck(file, opts.quickCheckMaxBytes ?? 64 * 1024 * 1024);
      if (opts.checkBeside) {
        // Handled here so that a start failing before its first write leaves no unhandled rejection.
        checking.catch(() => undefined);
        db.checked = checking;
      } else {
        await checking;
      }
      // 16 MiB of page cache instead of SQLite's 2 MiB: each history commit touches an index page per series (1,000
      // series: more pages than 2 MiB holds), re-read every time. Measured: 143,000 → 178,000 rows per CPU second.
      await db.exec(`PRAGMA cache_size = -${pageCacheKiB}`);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw isDbOpenError(err) ? err : openError(file, err);
    }
    return db;
  }

  async run(sql: string, params: SqlParams = []): Promise<RunResult> {
    await this.waitTurn();
    return this.runNow(sql, params);
  }

  async get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    await this.waitTurn();
    return this.getNow<T>(sql, params);
  }

  async all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    await this.waitTurn();
    return this.allNow<T>(sql, params);
  }

  /** Runs one or more statements without parameters (schema, pragmas). */
  async exec(sql: string): Promise<void> {
    await this.waitTurn();
    return this.execNow(sql);
  }

  /** @internal Without waiting for queued transactions: for the running transaction's own statements (Tx). */
  runNow(sql: string, params: SqlParams): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  /** @internal */
  getNow<T>(sql: string, params: SqlParams): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T>(sql, params, (err: Error | null, row: T) => (err ? reject(err) : resolve(row)));
    });
  }

  /** @internal */
  allNow<T>(sql: string, params: SqlParams): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  /** @internal */
  execNow(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  async prepare(sql: string): Promise<Statement> {
    const raw = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const stmt: sqlite3.Statement = this.raw.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(stmt)));
    });
    const stmt = new Statement(this, raw);
    this.statements.add(stmt);
    return stmt;
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if it throws. There is one connection, so
   * transactions queue on a promise chain, and statements issued on the Database wait until the ones queued before
   * them are done: otherwise they would silently become part of someone else's transaction (and roll back with
   * it). The body issues its own statements through the Tx it is given (or passes the Tx to a Statement); a
   * statement issued on the Database from inside the body would wait for the body, for ever. (An AsyncLocalStorage
   * told the two apart before; once used, it taxes every promise the process makes: ~3% of a busy broker's CPU.)
   * IMMEDIATE takes the write lock at BEGIN, so a busy database fails (after busy_timeout) at BEGIN, not at COMMIT.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const previous = this.txTail;
    let release!: () => void;
    this.txTail = new Promise<void>((resolve) => (release = resolve));
    this.txPending++;
    await previous;
    try {
      await this.execNow('BEGIN IMMEDIATE');
      try {
        const result = await fn(new Tx(this));
        await this.execNow('COMMIT');
        return result;
      } catch (err) {
        // After some errors (SQLITE_FULL, IOERR) SQLite has already rolled back; then ROLLBACK itself fails.
        await this.execNow('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      this.txPending--;
      release();
    }
  }

  /** @internal Waits for queued transactions. */
  waitTurn(): Promise<void> | undefined {
    return this.txPending === 0 ? undefined : this.txTail;
  }

  /** @internal */
  async finalizeStatement(stmt: Statement): Promise<void> {
    if (!this.statements.delete(stmt)) return;
    await stmt.finalizeRaw();
  }

  /** Idempotent. Waits for queued transactions, finalizes open statements (SQLite refuses to close otherwise). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.txTail;
      await Promise.all([...this.statements].map((s) => this.finalizeStatement(s)));
      await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
      this.log.debug({ file: this.file }, 'database closed');
    })();
    return this.closing;
  }
}

/** `PRAGMA quick_check` of `file` on a read-only connection of its own (skipped when larger than `maxBytes`). */
async function quickCheck(file: string, maxBytes: number): Promise<void> {
  if (maxBytes <= 0) return;
  const size = fs.statSync(file).size;
  if (size === 0 || size > maxBytes) return;
  const conn = await new Promise<sqlite3.Database>((resolve, reject) => {
    const c: sqlite3.Database = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(openError(file, err)) : resolve(c)));
  });
  try {
    const rows = await new Promise<Array<{ quick_check: string }>>((resolve, reject) =>
      conn.all<{ quick_check: string }>('PRAGMA quick_check(5)', (err, r) => (err ? reject(openError(file, err)) : resolve(r))));
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new RumahError(ErrorCodes.DB_OPEN, `The database ${file} is damaged (${problems.join('; ')}). ${DAMAGED_ADVICE}`, { file, problems });
    }
  } finally {
    await new Promise<void>((resolve) => conn.close(() => resolve()));
  }
}

const DAMAGED_ADVICE =
  'Stop rumah, move the file aside together with its -wal and -shm files (for example to rumah.db.broken), ' +
  'then restart to begin with an empty database, or restore a backup in its place.';

function isDbOpenError(err: unknown): boolean {
  return err instanceof RumahError && err.code === ErrorCodes.DB_OPEN;
}

/** A DB_OPEN error that names the file and says what to do, by SQLite result code. */
function openError(file: string, err: unknown): RumahError {
  const code = sqliteCode(err);
  const full = diskFullError(file, err, code);
  if (full) return full;
  const reason = err instanceof Error ? err.message : String(err);
  let advice: string;
  switch (code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      advice = `It is damaged or is not a SQLite database. ${DAMAGED_ADVICE}`;
      break;
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_READONLY':
      advice = 'Check that the file and its folder exist and that the user running rumah may read and write both.';
      break;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      advice = 'Another process holds a lock on it: is another rumah running with the same data folder?';
      break;
    case 'SQLITE_FULL':
      advice = 'The disk is full: free some space and restart.';
      break;
    default:
      advice = `If it persists, move the file aside and restart, or restore a backup.`;
  }
  return new RumahError(ErrorCodes.DB_OPEN, `Cannot open the database ${file}: ${reason}. ${advice}`, {
    file,
    sqliteCode: code,
  });
}
