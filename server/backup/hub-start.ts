import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger.js';
import { BACKUPS_DIR } from './create.js';
import { backupBeforeMigration } from './before-migration.js';
import { applyStagedRestore } from './restore.js';

/** What a start does to the data folder before opening it; the caller holds the folder's lock. */
export async function prepareDataDir(dataDir: string, log: Logger): Promise<void> {
  removeLeftovers(dataDir);
  const restored = applyStagedRestore(dataDir);
  if (restored) {
    log.warn({ createdAt: new Date(restored.manifest.createdAt).toISOString(), rumahVersion: restored.manifest.rumahVersion, replaced: restored.replaced }, 'backup restored');
  }
  await backupBeforeMigration(dataDir, log.child({ module: 'backup' }));
}

/**
 * What a backup or an upload cut short by a crash left in <data>/backups: work folders, uploads, unfinished files.
 * Nothing else runs on the folder yet (the caller holds its lock), so none of them is in use.
 */
function removeLeftovers(dataDir: string): void {
  const dir = path.join(dataDir, BACKUPS_DIR);
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.work-') || name.startsWith('.upload-') || name.endsWith('.partial')) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
