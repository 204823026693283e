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

/** `PRAGMA user_version` of a database file; undefined when there is no such file. */
export async function schemaVersion(file: string): Promise<number | undefined> {
  if (!fs.existsSync(file)) return undefined;
  const db = await open(file, sqlite3.OPEN_READONLY);
  try {
    return await new Promise<number>((resolve, reject) =>
      db.get<{ user_version: number }>('PRAGMA user_version', (err, row) => (err ? reject(err) : resolve(row?.user_version ?? 0))),
    );
  } finally {
    await close(db);
  }
}
