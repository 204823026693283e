// The sqlite3 callback API, wrapped once into promises: for broker.db (this folder), and for the small
// connections beside rumah.db (the data folder lock, the checkpointer). One Connection is one SQLite
// connection; callers (the write batcher, setup) never issue statements concurrently on it, so the
// order of statements is the order of awaits.
import sqlite3, { type Database, type RunResult, type Statement } from 'sqlite3';

export type SqlValue = string | number | bigint | Buffer | null;

export interface PreparedStatement {
  /** Its SQL, for writing a transaction as one script (write-batcher.ts). */
  readonly sql: string;
  /** Runs the statement; resolves with the number of rows changed. */
  run(params: readonly SqlValue[]): Promise<number>;
  finalize(): Promise<void>;
}

export interface Connection {
  readonly file: string;
  exec(sql: string): Promise<void>;
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  prepare(sql: string): Promise<PreparedStatement>;
  close(): Promise<void>;
}

/** An Error from sqlite3 carries the SQLite result code name, e.g. `SQLITE_FULL`. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function openConnection(file: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const db: Database = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
      if (err) reject(err);
      else resolve(wrap(file, db));
    });
  });
}

function wrap(file: string, db: Database): Connection {
  return {
    file,
    exec: (sql) => new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve()))),
    run: (sql, params = []) =>
      new Promise((resolve, reject) =>
        db.run(sql, params, function (this: RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve(this.changes);
        }),
      ),
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((resolve, reject) => db.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)))),
    prepare: (sql) =>
      new Promise((resolve, reject) => {
        const stmt: Statement = db.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(wrapStatement(stmt, sql))));
      }),
    close: () => new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve()))),
  };
}

function wrapStatement(stmt: Statement, sql: string): PreparedStatement {
  return {
    sql,
    run: (params) =>
      new Promise((resolve, reject) => {
        stmt.run(params, function (this: RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve(this.changes);
        });
      }),
    // sqlite3's finalize callback is typed as receiving an Error, but it is called with null on success.
    finalize: () => new Promise((resolve) => stmt.finalize(() => resolve())),
  };
}
