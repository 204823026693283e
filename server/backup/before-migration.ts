import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { knownSchema } from './contents.js';
import { createBackup, defaultBackupFile } from './create.js';
import { loadOrCreateKit } from './kit.js';
import { schemaVersion } from './snapshot.js';

/**
 * Run before either database is opened (hub start, CLI). Data written by a newer rumah is refused here, for both
 * databases at once and before anything is migrated or written (DB_OPEN: exit 3). Data that an older rumah wrote,
 * and that this one is about to migrate, is backed up first into <data>/backups/pre-migration-*.rumahbackup: an
 * upgrade that goes wrong can be undone by installing the previous rumah and restoring it (docs/backup.md).
 */
export async function backupBeforeMigration(dataDir: string, log: Logger): Promise<string | undefined> {
  const found = {
    rumah: await versionOf(path.join(dataDir, 'rumah.db')),
    broker: await versionOf(path.join(dataDir, 'broker.db')),
  };
  const newer = (['rumah', 'broker'] as const).filter((db) => (found[db] ?? 0) > knownSchema[db]);
  if (newer.length) {
    throw new RumahError(
      ErrorCodes.DB_OPEN,
      `The data folder ${dataDir} was written by a newer rumah: ` +
        newer.map((db) => `${db}.db has schema version ${found[db]}, this rumah knows ${knownSchema[db]}`).join('; ') +
        '. Run the newer rumah again, or restore a backup made by this version (npm run rumah -- restore FILE). Nothing was changed.',
      { dataDir, found, known: knownSchema },
    );
  }
  // 0: a database just made (or empty): nothing in it to keep.
  const older = (['rumah', 'broker'] as const).filter((db) => (found[db] ?? 0) > 0 && found[db]! < knownSchema[db]);
  if (!older.length) return undefined;
  const kit = loadOrCreateKit(dataDir);
  const file = defaultBackupFile(dataDir, 'pre-migration');
  log.info({ found, known: knownSchema, file }, 'backing up the data folder before migrating its databases');
  await createBackup({ dataDir, kit, file });
  log.warn({ file, found, known: knownSchema }, 'data folder backed up before its databases are migrated');
  if (!kit.shown) log.warn({ keyId: kit.id }, 'a backup key was made for this backup and no one has seen it yet: without it no backup can be restored. Show it once with: npm run rumah -- backup key');
  return file;
}

async function versionOf(file: string): Promise<number | undefined> {
  try {
    return await schemaVersion(file);
  } catch (err) {
    // Not readable as a database: the normal open says so with its own advice (database.ts, open-database.ts).
    void err;
    return undefined;
  }
}
