import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';

/** Below this much free space a write that failed is taken for a full disk (SQLite needs room for its WAL). */
const nearlyFull = 1024 * 1024;

/**
 * A database that cannot be opened on a full disk fails with SQLITE_FULL, or with SQLITE_IOERR when it cannot even
 * make its -wal file — which rumah reported as a damaged database ("move the file aside", exit 3: a supervisor gave
 * up). It is not damaged: once space is freed the same start works. So the free space of the file's folder is asked,
 * and a full disk gets its own error and exit code 1, which a supervisor retries. Undefined when the disk has room.
 */
export function diskFullError(file: string, err: unknown, sqliteCode: string | undefined): RumahError | undefined {
  if (sqliteCode !== 'SQLITE_FULL' && sqliteCode !== 'SQLITE_IOERR' && (err as NodeJS.ErrnoException)?.code !== 'ENOSPC') return undefined;
  const free = freeBytes(path.dirname(file));
  if (sqliteCode !== 'SQLITE_FULL' && (free === undefined || free >= nearlyFull)) return undefined;
  const left = free === undefined ? '' : ` (${Math.floor(free / 1024)} KiB free)`;
  return new RumahError(
    ErrorCodes.DISK_FULL,
    `The disk holding ${file} is full${left}: free some space on it. Nothing is damaged; rumah starts as before once there is room (a supervisor retries it).`,
    { file, free },
  );
}

function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
