import type { Logger } from '../core/logger.js';
import { backupBeforeMigration } from './before-migration.js';
import { applyStagedRestore } from './restore.js';

/** What a start does to the data folder before opening it; the caller holds the folder's lock. */
export async function prepareDataDir(dataDir: string, log: Logger): Promise<void> {
  const restored = applyStagedRestore(dataDir);
  if (restored) {
    log.warn({ createdAt: new Date(restored.manifest.createdAt).toISOString(), rumahVersion: restored.manifest.rumahVersion, replaced: restored.replaced }, 'backup restored');
  }
  await backupBeforeMigration(dataDir, log.child({ module: 'backup' }));
}
