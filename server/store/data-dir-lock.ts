import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { openConnection, sqliteCode } from '../mqtt/persistence/sqlite-connection.js';

const LOCK_FILE = 'rumah.lock';

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * One hub per data folder. Two on the same files (`npm start` twice, or a service and a manual start) both ran:
 * both wrote history, the second took over runtime.json, and broker.db was shared by two brokers. The lock is
 * SQLite's exclusive lock on `<data>/rumah.lock`, held for the hub's life: the operating system drops it when the
 * process ends, however it ends (kill -9, power cut), so there is never a stale lock to clean up. The CLI opens
 * rumah.db beside a running hub on purpose and does not take it.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const conn = await openConnection(file);
  try {
    // No rollback journal: there is nothing to roll back, and a rumah.lock-journal beside it would puzzle people.
    await conn.exec('PRAGMA journal_mode = MEMORY');
    await conn.exec('PRAGMA locking_mode = EXCLUSIVE');
    await conn.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    await conn.close().catch(() => undefined);
    if (sqliteCode(err) !== 'SQLITE_BUSY') throw err;
    throw new RumahError(
      ErrorCodes.DATA_DIR_IN_USE,
      `another rumah${holder(dataDir)} is running on the data folder ${dataDir}. Stop it first, or give this one another folder with --data`,
      { dataDir },
    );
  }
  return {
    release: async () => {
      await conn.exec('ROLLBACK').catch(() => undefined);
      await conn.close();
    },
  };
}

/** " (pid N)" from the running hub's runtime.json, when it is there to say. */
function holder(dataDir: string): string {
  try {
    const { pid } = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
