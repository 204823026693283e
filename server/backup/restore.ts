import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { knownSchema, RESTORED_ITEMS, sha256File, type Manifest } from './contents.js';
import { installKey, keyId } from './kit.js';
import { throttled, type ProgressListener } from './progress.js';
import { readHeader, unseal, type SealedHeader } from './sealed-file.js';

// A restore in two halves. stageRestore decrypts, unpacks and checks a backup into <data>/.restore — nothing else
// in the folder is touched, so a damaged, cut short, too new or wrongly keyed backup changes nothing.
// applyStagedRestore then moves what is there aside (into <data>/replaced-<time>/: a restore never deletes a
// house) and the staged files in. It is written to finish after a crash: the hub runs it at start, before it opens
// anything.

const STAGING = '.restore';
const READY = 'ready.json';
const CLEARED = 'cleared';

interface Ready {
  manifest: Manifest;
  /** The key that opened the backup (base64): the restored folder's next backups use it. */
  key: string;
  replacedDir: string;
}

function corrupt(file: string, why: string): RumahError {
  return new RumahError(ErrorCodes.BACKUP_INVALID, `${file} is not a usable rumah backup: ${why}. Nothing was changed`, { file, reason: why });
}

/** Refuses a backup made by a newer rumah, by its schema versions (BACKUP_TOO_NEW). */
export function checkNotNewer(file: string, schema: { rumah: number; broker: number }, rumahVersion: string): void {
  if (schema.rumah > knownSchema.rumah || schema.broker > knownSchema.broker) {
    throw new RumahError(
      ErrorCodes.BACKUP_TOO_NEW,
      `${file} was made by a newer rumah (${rumahVersion}; database schema ${schema.rumah}, broker schema ${schema.broker}; ` +
        `this rumah knows ${knownSchema.rumah} and ${knownSchema.broker}). Upgrade rumah, then restore it. Nothing was changed`,
      { file, schema, known: knownSchema },
    );
  }
}

/** The clear facts of a backup file, without its key: when, by which rumah, which schemas, which key. */
export function inspectBackup(file: string): SealedHeader {
  return readHeader(file).header;
}

/** Decrypts and checks `file` into <data>/.restore. Throws (and leaves the folder as it was) on any problem. */
export async function stageRestore(opts: { dataDir: string; file: string; key: Buffer; progress?: ProgressListener }): Promise<Manifest> {
  const { dataDir, file, key } = opts;
  const report = throttled(opts.progress);
  const { header } = readHeader(file);
  checkNotNewer(file, header.schema, header.rumahVersion);
  if (header.keyId !== keyId(key)) {
    throw new RumahError(ErrorCodes.BACKUP_KEY, `${file} was made with another backup key (key id ${header.keyId}; the key given has id ${keyId(key)}). Nothing was changed`, { file });
  }
  const createdFolder = !fs.existsSync(dataDir);
  const staging = path.join(dataDir, STAGING);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, 'files'), { recursive: true, mode: 0o700 });
  try {
    const archive = path.join(staging, 'archive.tgz');
    await unseal(file, archive, key, (done, total) => report({ phase: 'decrypt', done, total }));
    report({ phase: 'extract', done: 0, total: 0 });
    // The archive is authenticated, so this is our own tar; tar still refuses absolute paths and '..' (its default).
    const tar = await import('tar');
    await tar.x({ file: archive, cwd: path.join(staging, 'files'), strict: true }).catch((err: Error) => {
      throw corrupt(file, `its archive cannot be read (${err.message})`);
    });
    fs.rmSync(archive);
    const manifest = await verify(file, path.join(staging, 'files'), report);
    const ready: Ready = { manifest, key: key.toString('base64'), replacedDir: `replaced-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}` };
    fs.writeFileSync(path.join(staging, READY), JSON.stringify(ready));
    return manifest;
  } catch (err) {
    fs.rmSync(createdFolder ? dataDir : staging, { recursive: true, force: true });
    throw err;
  }
}

async function verify(file: string, dir: string, report: ProgressListener): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw corrupt(file, 'its manifest is missing or damaged');
  }
  checkNotNewer(file, manifest.schema, manifest.rumahVersion);
  let i = 0;
  for (const entry of manifest.files) {
    const top = entry.path.split('/')[0]!;
    if (!(RESTORED_ITEMS as readonly string[]).includes(top) || entry.path.split('/').includes('..')) throw corrupt(file, `its manifest names ${JSON.stringify(entry.path)}`);
    const full = path.join(dir, entry.path);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size !== entry.size || (await sha256File(full)) !== entry.sha256) throw corrupt(file, `${entry.path} does not match its manifest`);
    report({ phase: 'verify', done: ++i, total: manifest.files.length });
  }
  if (!manifest.files.some((f) => f.path === 'rumah.db')) throw corrupt(file, 'it holds no rumah.db');
  return manifest;
}

/** True when a verified restore waits in <data>/.restore (the dashboard's, applied at the next start). */
export function restorePending(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, STAGING, READY));
}

/**
 * Puts a staged restore in place. Only while no hub runs on the folder (the caller holds the lock). Returns the
 * folder the replaced files went to, if there were any.
 */
export function applyStagedRestore(dataDir: string): { manifest: Manifest; replaced?: string } | undefined {
  const staging = path.join(dataDir, STAGING);
  let ready: Ready;
  try {
    ready = JSON.parse(fs.readFileSync(path.join(staging, READY), 'utf8')) as Ready;
  } catch {
    // Nothing staged, or a staging that never finished (it is redone from the backup file, not finished here). Asked
    // first: every start comes here, and a recursive rmSync loads Node's rimraf (~2 ms before the MQTT listeners).
    if (fs.existsSync(staging)) fs.rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  const aside = path.join(dataDir, ready.replacedDir);
  if (!fs.existsSync(path.join(staging, CLEARED))) {
    for (const item of RESTORED_ITEMS.flatMap((i) => (i.endsWith('.db') ? [i, `${i}-wal`, `${i}-shm`] : [i]))) {
      if (!fs.existsSync(path.join(dataDir, item))) continue;
      fs.mkdirSync(aside, { recursive: true, mode: 0o700 });
      fs.renameSync(path.join(dataDir, item), path.join(aside, item));
    }
    fs.writeFileSync(path.join(staging, CLEARED), '');
  }
  const files = path.join(staging, 'files');
  for (const item of fs.readdirSync(files)) {
    if (!(RESTORED_ITEMS as readonly string[]).includes(item)) continue; // manifest.json
    fs.renameSync(path.join(files, item), path.join(dataDir, item));
  }
  installKey(dataDir, Buffer.from(ready.key, 'base64'));
  fs.rmSync(staging, { recursive: true, force: true });
  return { manifest: ready.manifest, ...(fs.existsSync(aside) ? { replaced: aside } : {}) };
}

/** `rumah restore FILE`: on a stopped hub only (the data folder lock says whether one runs). */
export async function restoreBackup(opts: { dataDir: string; file: string; key: Buffer; progress?: ProgressListener }): Promise<{ manifest: Manifest; replaced?: string }> {
  // Checked before the folder is touched (the lock file would be the first thing made in it).
  inspectBackup(opts.file);
  const existed = fs.existsSync(opts.dataDir);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  let lock;
  try {
    lock = await lockDataDir(opts.dataDir);
  } catch (err) {
    if (!existed) fs.rmSync(opts.dataDir, { recursive: true, force: true });
    throw err;
  }
  try {
    await stageRestore(opts);
    opts.progress?.({ phase: 'apply', done: 0, total: 0 });
    const applied = applyStagedRestore(opts.dataDir)!;
    await lock.release();
    return applied;
  } catch (err) {
    await lock.release();
    // A folder this restore made (the lock file is all it holds) goes again: nothing was changed.
    if (!existed) fs.rmSync(opts.dataDir, { recursive: true, force: true });
    throw err;
  }
}
