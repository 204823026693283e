import fs from 'node:fs';
import sqlite3 from 'sqlite3';

// A consistent copy of a live SQLite database through SQLite's online backup API (https://sqlite.org/backup.html).
// The copy is made from a connection of our own holding one read transaction for its whole length: in WAL mode
// that pins one snapshot, so the hub's writers (history, broker) go on committing and the copy is still of one
// moment. Without that transaction a write from another connection between two steps restarts the copy, which
// under steady load might never end. Copied in steps of STEP_PAGES so a large history reports progress and the
// event loop is not held.

const STEP_PAGES = 1024;

/** node-sqlite3's Backup (lib/sqlite3.js); its type definitions leave it out. */
interface Backup {
  step(pages: number, cb: (err: Error | null) => void): void;
  finish(cb?: (err: Error | null) => void): void;
  readonly completed: boolean;
  readonly failed: boolean;
  readonly remaining: number;
  readonly pageCount: number;
}

function open(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db: sqlite3.Database = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}

function exec(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}

function close(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve) => db.close(() => resolve()));
}

/** Copies `source` to `dest` (a new file); reports pages copied of pages in all. */
export async function snapshotDatabase(source: string, dest: string, progress?: (done: number, total: number) => void): Promise<void> {
  fs.rmSync(dest, { force: true });
  const db = await open(source, sqlite3.OPEN_READONLY);
  try {
    await exec(db, 'PRAGMA busy_timeout = 5000');
    await exec(db, 'BEGIN; SELECT count(*) FROM sqlite_schema;');
    const backup = (db as unknown as { backup(file: string): Backup }).backup(dest);
    try {
      for (;;) {
        await new Promise<void>((resolve, reject) => backup.step(STEP_PAGES, (err) => (err ? reject(err) : resolve())));
        progress?.(backup.pageCount - backup.remaining, backup.pageCount);
        if (backup.completed) break;
        if (backup.failed) throw new Error(`copying ${source} failed`);
      }
    } finally {
      await new Promise<void>((resolve) => backup.finish(() => resolve()));
    }
    await exec(db, 'COMMIT');
  } finally {
    await close(db);
  }
  // The copy is in rollback-journal mode with nothing pending: one self-contained file.
}

/**
 * `PRAGMA user_version` of a database file, read from its header (4 bytes at offset 60, https://sqlite.org/fileformat.html)
 * so that asking changes nothing: opening a WAL database, even read-only, makes its -shm and -wal files. After a
 * crash the newest version may still be in the -wal only; the databases' own open checks it again (migrations.ts,
 * schema.ts). undefined: no such file, or not a SQLite database (the normal open reports that).
 */
export async function schemaVersion(file: string): Promise<number | undefined> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const header = Buffer.alloc(64);
    const n = fs.readSync(fd, header, 0, 64, 0);
    if (n === 0) return 0;
    if (n < 64 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
    return header.readUInt32BE(60);
  } finally {
    fs.closeSync(fd);
  }
}
