// Opening broker.db: connection, pragmas, integrity check, schema. Any failure here becomes one
// RUMAH_ERR_DB_OPEN error that names the file and says what the operator can do, because the broker
// cannot start without its session state and a stack trace from SQLite does not say "move it aside".
import { ErrorCodes, RumahError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { diskFullError } from '../../store/disk-full.js';
import { migrate, SchemaTooNewError } from './schema.js';
import { openConnection, sqliteCode, type Connection } from './sqlite-connection.js';

export interface OpenOptions {
  file: string;
  busyTimeoutMs: number;
  /** Caps the file at this many pages; SQLite then fails writes with SQLITE_FULL (tests simulate a full disk). */
  maxPageCount?: number;
  log: Logger;
}

export async function openDatabase(opts: OpenOptions): Promise<Connection> {
  let conn: Connection | undefined;
  try {
    conn = await openConnection(opts.file);
    await configure(conn, opts);
    const [check] = await conn.all<{ quick_check: string }>('PRAGMA quick_check');
    if (check?.quick_check !== 'ok') throw new Error(`integrity check failed: ${check?.quick_check ?? 'no result'}`);
    const { from, to } = await migrate(conn);
    if (from !== to) opts.log.info({ file: opts.file, from, to }, 'broker database schema migrated');
    return conn;
  } catch (err) {
    await conn?.close().catch(() => undefined);
    throw databaseOpenError(opts.file, err);
  }
}

async function configure(conn: Connection, opts: OpenOptions): Promise<void> {
  // busy_timeout first: the pragmas below may need a lock another process (a backup) holds.
  await conn.exec(`PRAGMA busy_timeout = ${Math.trunc(opts.busyTimeoutMs)}`);
  // WAL: a commit appends to broker.db-wal instead of rewriting pages, and readers (a backup, the
  // sqlite3 shell) do not block the broker. See docs/persistence.md for what a crash can lose.
  const [mode] = await conn.all<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
  if (mode?.journal_mode !== 'wal') {
    opts.log.warn({ file: opts.file, journalMode: mode?.journal_mode }, 'WAL unavailable on this filesystem; durability differs from docs/persistence.md');
  }
  // NORMAL: no fsync per commit in WAL mode, only at checkpoints (the checkpointer bounds that window).
  await conn.exec('PRAGMA synchronous = NORMAL');
  if (opts.maxPageCount !== undefined) await conn.exec(`PRAGMA max_page_count = ${Math.trunc(opts.maxPageCount)}`);
}

/** The one RUMAH_ERR_DB_OPEN error: names the file, the cause, and what the operator can do about it. */
export function databaseOpenError(file: string, err: unknown): RumahError {
  const code = sqliteCode(err);
  const full = diskFullError(file, err, code);
  if (full) return full;
  const reason = err instanceof Error ? err.message : String(err);
  const restore =
    `If the file is damaged, stop rumah, move ${file} (with ${file}-wal and ${file}-shm if present) aside ` +
    `and restore it from a backup; without a backup, rumah starts with an empty one (retained messages, ` +
    `persistent sessions, queued messages and wills are lost).`;
  let advice: string;
  if (err instanceof SchemaTooNewError) {
    advice = `Upgrade rumah, or stop it and restore a backup of ${file} made by this version.`;
  } else if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR') {
    advice =
      `Check that the directory exists and that rumah's user can read and write the file and the directory ` +
      `(SQLite creates ${file}-wal and ${file}-shm beside it). ${restore}`;
  } else {
    advice = restore;
  }
  return new RumahError(ErrorCodes.DB_OPEN, `Cannot open the broker database ${file}: ${reason}. ${advice}`, { file, sqliteCode: code });
}
