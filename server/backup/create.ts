import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// tar is imported when a backup or restore runs, not at start: loading it costs 6 MiB of RSS and 20-190 ms (measured).
import { DATABASES, FILE_ITEMS, describe, listFiles, rumahVersion, type Manifest } from './contents.js';
import type { Kit } from './kit.js';
import { throttled, type ProgressListener } from './progress.js';
import { seal } from './sealed-file.js';
import { schemaVersion, snapshotDatabase } from './snapshot.js';
import { ErrorCodes, RumahError } from '../core/errors.js';

export const BACKUPS_DIR = 'backups';
export const BACKUP_EXT = '.rumahbackup';

/** Why a backup was made; the start of its file name in <data>/backups. Only `auto` ones are pruned. */
export type BackupKind = 'manual' | 'auto' | 'pre-migration';

export interface BackupResult {
  file: string;
  size: number;
  manifest: Manifest;
}

/** <data>/backups/<kind>-YYYYMMDD-HHMMSS.rumahbackup (UTC: names sort by time whatever the zone). */
export function defaultBackupFile(dataDir: string, kind: BackupKind, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = path.join(dataDir, BACKUPS_DIR, `${kind}-${stamp}`);
  // Two in the same second (a click, then another) must not overwrite each other.
  for (let n = 1; ; n++) {
    const file = `${base}${n === 1 ? '' : `-${n}`}${BACKUP_EXT}`;
    if (!fs.existsSync(file) && !fs.existsSync(`${file}.partial`)) return file;
  }
}

/**
 * Backs up the data folder into `file`: a snapshot of each database, the configuration, rules and TLS material, a
 * manifest, in a gzipped tar, sealed with the kit's key (sealed-file.ts). Safe while the hub runs. Everything is
 * staged in a work folder inside <data>/backups (same disk, never inside another backup) and removed afterwards;
 * the file appears under its name only when complete.
 */
export async function createBackup(opts: { dataDir: string; file: string; kit: Kit; progress?: ProgressListener }): Promise<BackupResult> {
  const { dataDir, kit } = opts;
  const report = throttled(opts.progress);
  if (!fs.existsSync(path.join(dataDir, 'rumah.db'))) {
    throw new RumahError(ErrorCodes.NOT_FOUND, `${dataDir} has no rumah.db: there is nothing to back up there (is --data right?)`);
  }
  checkRoom(dataDir);
  const work = path.join(dataDir, BACKUPS_DIR, `.work-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  const tmp = `${opts.file}.partial`;
  try {
    const files: string[] = [];
    for (const db of DATABASES) {
      const source = path.join(dataDir, db);
      if (!fs.existsSync(source)) continue;
      await snapshotDatabase(source, path.join(work, db), (done, total) => report({ phase: db, done, total }));
      files.push(db);
    }
    const copied = FILE_ITEMS.flatMap((item) => listFiles(dataDir, item));
    copied.forEach((file, i) => {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true, mode: 0o700 });
      fs.copyFileSync(path.join(dataDir, file), path.join(work, file));
      report({ phase: 'files', done: i + 1, total: copied.length });
    });
    files.push(...copied);
    const manifest: Manifest = {
      format: 1,
      rumahVersion: rumahVersion(),
      createdAt: Date.now(),
      schema: { rumah: (await schemaVersion(path.join(work, 'rumah.db'))) ?? 0, broker: (await schemaVersion(path.join(work, 'broker.db'))) ?? 0 },
      files: await describe(work, files),
    };
    fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    report({ phase: 'archive', done: 0, total: files.length });
    const archive = path.join(work, 'archive.tgz');
    // manifest.json first: a reader learns what the archive holds before the rest. gzip level 1: a backup runs beside
    // the live hub, and level 6 took 1.9x the time for 4% less (bench/backup.ts, 220 MiB of history).
    const tar = await import('tar');
    await tar.c({ gzip: { level: 1 }, cwd: work, file: archive, portable: true }, ['manifest.json', ...manifest.files.map((f) => f.path)]);
    fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    await seal(archive, tmp, { createdAt: manifest.createdAt, rumahVersion: manifest.rumahVersion, schema: manifest.schema, keyId: kit.id }, kit.key, (done, total) =>
      report({ phase: 'encrypt', done, total }),
    );
    fs.renameSync(tmp, opts.file);
    return { file: opts.file, size: fs.statSync(opts.file).size, manifest };
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Free space a backup leaves for the hub: its history and broker.db must never be the ones to meet a full disk. */
const RESERVE = 256 * 1024 * 1024;

/**
 * A backup needs, at its peak, the snapshots, the archive and the sealed file at once: at most about twice the
 * databases (the archive and the sealed file are compressed, and the snapshots go once the archive is made).
 * Refused (DISK_FULL, nothing written) when that would leave less than RESERVE free.
 */
function checkRoom(dataDir: string): void {
  const dbBytes = DATABASES.reduce((sum, db) => sum + (fs.statSync(path.join(dataDir, db), { throwIfNoEntry: false })?.size ?? 0), 0);
  let free: number;
  try {
    const stat = fs.statfsSync(dataDir);
    free = stat.bavail * stat.bsize;
  } catch {
    return; // not knowable here (an unusual filesystem): the writes themselves will say
  }
  const needed = 2 * dbBytes + RESERVE;
  if (free < needed) {
    throw new RumahError(
      ErrorCodes.DISK_FULL,
      `not enough free disk space for a backup of ${dataDir}: ${Math.floor(free / 1048576)} MiB free, ${Math.ceil(needed / 1048576)} MiB needed ` +
        '(twice the databases, and 256 MiB left for the hub). Free some space, or delete old backups in backups/ (copied elsewhere first)',
      { free, needed },
    );
  }
}
