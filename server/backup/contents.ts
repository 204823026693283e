import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { latestVersion } from '../store/migrations.js';
import { installedVersion } from '../install-dir.js';
import { SCHEMA_VERSION as brokerSchemaVersion } from '../mqtt/persistence/schema.js';

// What a backup holds, and the manifest that lists it. Paths are relative to the data folder.

/** The two databases, copied through SQLite's backup API (snapshot.ts), never as files. */
export const DATABASES = ['rumah.db', 'broker.db'] as const;
/** Copied as files: the configuration, the rules, and the TLS material (the local CA, certificates, keys). */
export const FILE_ITEMS = ['rumah.yaml', 'rules', 'tls'] as const;
/** Everything a restore replaces; the -wal and -shm files beside the databases go with them. */
export const RESTORED_ITEMS = [...DATABASES, ...FILE_ITEMS] as const;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: 1;
  rumahVersion: string;
  createdAt: number;
  /** user_version of each database in the backup. broker is 0 when there was no broker.db (persistence: memory). */
  schema: { rumah: number; broker: number };
  files: ManifestFile[];
}

/** The versions this rumah reads and writes. A backup with a higher one was made by a newer rumah. */
export const knownSchema = { rumah: latestVersion, broker: brokerSchemaVersion };

let version: string | undefined;
/** package.json's version (server/install-dir.ts finds the checkout). */
export function rumahVersion(): string {
  if (version) return version;
  version = installedVersion() ?? 'unknown';
  return version;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every regular file under `dir` (relative to `root`), sorted; symbolic links are not followed. */
export function listFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const full = path.join(root, dir);
  const stat = fs.lstatSync(full, { throwIfNoEntry: false });
  if (!stat) return out;
  if (stat.isFile()) return [dir];
  if (!stat.isDirectory()) return out;
  for (const name of fs.readdirSync(full).sort()) out.push(...listFiles(root, path.join(dir, name)));
  return out;
}

export async function describe(root: string, files: readonly string[]): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for (const file of files) {
    const full = path.join(root, file);
    out.push({ path: file.split(path.sep).join('/'), size: fs.statSync(full).size, sha256: await sha256File(full) });
  }
  return out;
}
