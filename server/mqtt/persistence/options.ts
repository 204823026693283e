// The options of createSqlitePersistence, validated once (every problem reported together), then frozen.
import { ErrorCodes, RumahError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

export interface SqlitePersistenceOptions {
  /** The database file, e.g. `<data>/broker.db`; created if missing (its directory must exist). */
  file: string;
  log: Logger;
  /** How long a write waits for a lock held by another process (a backup), in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * At most this long (ms) between a commit and the fsync that makes it survive a power cut; 0 leaves
   * it to SQLite's automatic checkpoint (every ~4 MB of WAL). Default 60000. See docs/persistence.md.
   */
  checkpointIntervalMs?: number;
  /** Caps the database at this many pages (tests: SQLite then fails writes with SQLITE_FULL, like a full disk). */
  maxPageCount?: number;
}

export type ResolvedOptions = Readonly<Required<Omit<SqlitePersistenceOptions, 'maxPageCount'>> & Pick<SqlitePersistenceOptions, 'maxPageCount'>>;

const DEFAULTS = { busyTimeoutMs: 5000, checkpointIntervalMs: 60_000 } as const;

export function resolveOptions(opts: SqlitePersistenceOptions): ResolvedOptions {
  const problems: string[] = [];
  if (typeof opts?.file !== 'string' || opts.file.trim() === '') problems.push('file: must be a non-empty path');
  if (typeof opts?.log?.child !== 'function') problems.push('log: must be a pino logger');
  const integer = (name: 'busyTimeoutMs' | 'checkpointIntervalMs' | 'maxPageCount', min: number): void => {
    const value = opts?.[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) problems.push(`${name}: must be an integer >= ${min}`);
  };
  integer('busyTimeoutMs', 0);
  integer('checkpointIntervalMs', 0);
  integer('maxPageCount', 1);
  if (problems.length > 0) {
    throw new RumahError(ErrorCodes.CONFIG_INVALID, `Invalid broker persistence options: ${problems.join('; ')}`, { problems });
  }
  return Object.freeze({
    file: opts.file,
    log: opts.log,
    busyTimeoutMs: opts.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs,
    checkpointIntervalMs: opts.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs,
    maxPageCount: opts.maxPageCount,
  });
}
