import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { openStore } from '../store/index.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { createBackup, defaultBackupFile, BACKUPS_DIR, BACKUP_EXT } from '../backup/create.js';
import { loadKit, loadOrCreateKit, markShown, parseKey } from '../backup/kit.js';
import type { BackupProgress } from '../backup/progress.js';
import { inspectBackup, restoreBackup } from '../backup/restore.js';
import { hubSession, runningHub } from './hub-client.js';
import type { CliCommand } from './commands.js';

// `rumah backup`, `backup key`, `backup list`, `restore` (docs/backup.md).

/** Progress on stderr (stdout keeps the result, for --json): one line per step, or one rewritten line on a terminal. */
function printProgress(p: BackupProgress): void {
  const pct = p.total > 0 ? ` ${Math.floor((100 * p.done) / p.total)}%` : '';
  const line = `${p.phase}${pct}`;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
}

function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

function keyLines(key: string, id: string): string[] {
  return [
    '',
    'BACKUP KEY (shown this once; write it down and keep it away from this machine):',
    `  ${key}`,
    `  (key id ${id}) Without it no backup of this house can be restored. Every backup, automatic ones included, uses it.`,
  ];
}

interface Made {
  file: string;
  size: number;
  keyId: string;
  key?: string;
}

/** Through the running hub (it owns the databases; its progress is polled), or directly on a stopped hub's folder. */
async function backup(dataDir: string, target: string | undefined): Promise<Made> {
  if (await hubRuns(dataDir)) {
    const store = await openStore(dataDir, createLogger('warn', process.stderr), {});
    try {
      const session = await hubSession(store, dataDir);
      try {
        // Started, then polled: one request held open for a long backup would meet fetch's 300 s header timeout.
        const { job } = (await session.call('POST', '/api/backups', { wait: false })) as { job: { id: number } };
        for (;;) {
          await new Promise((r) => setTimeout(r, 300));
          const state = (await session.call('GET', '/api/backups/progress')) as { job: { progress?: BackupProgress } | null; last: (Made & { id: number; ok: boolean; error?: { message: string } }) | null };
          if (state.job?.progress) printProgress(state.job.progress);
          if (state.last?.id !== job.id) continue;
          if (!state.last.ok) throw new RumahError(ErrorCodes.BAD_REQUEST, `the hub's backup failed: ${state.last.error?.message ?? 'unknown error'}`);
          const made = state.last;
          return { file: target ? moveTo(made.file, target) : made.file, size: made.size, keyId: made.keyId, ...(made.key ? { key: made.key } : {}) };
        }
      } finally {
        endProgress();
        await session.close();
      }
    } finally {
      await store.close();
    }
  }
  const kit = loadOrCreateKit(dataDir);
  const file = target ?? defaultBackupFile(dataDir, 'manual');
  try {
    const made = await createBackup({ dataDir, kit, file, progress: printProgress });
    if (kit.shown) return { file: made.file, size: made.size, keyId: kit.id };
    markShown(dataDir);
    return { file: made.file, size: made.size, keyId: kit.id, key: kit.text };
  } finally {
    endProgress();
  }
}

/**
 * Whether a hub runs on the folder: it holds the folder's lock (runtime.json alone may be left by a hub that
 * stopped, with its pid since given to another process).
 */
async function hubRuns(dataDir: string): Promise<boolean> {
  if (!runningHub(dataDir)) return false;
  try {
    await (await lockDataDir(dataDir)).release();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === ErrorCodes.DATA_DIR_IN_USE) return true;
    throw err;
  }
}

/** The hub wrote into <data>/backups; the CLI puts it where it was asked to (another disk, perhaps). */
function moveTo(from: string, to: string): string {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
    fs.rmSync(from);
  }
  return to;
}

function keyFor(dataDir: string, typed: string | undefined): Buffer {
  const text = typed ?? process.env.RUMAH_BACKUP_KEY;
  if (text) return parseKey(text);
  const kit = loadKit(dataDir);
  if (kit) return kit.key;
  throw new RumahError(ErrorCodes.BAD_REQUEST, 'give the backup key: --key "XXXX-XXXX-..." (or RUMAH_BACKUP_KEY); it was printed at the first backup');
}

export const backupCommands: CliCommand[] = [
  {
    words: ['backup', 'key'], args: 0, store: false, usage: 'backup key', help: 'print the backup key (made at the first backup); keep it off this machine',
    async run({ dataDir }) {
      const kit = loadKit(dataDir);
      if (!kit) throw new RumahError(ErrorCodes.NOT_FOUND, `no backup key in ${dataDir} yet: it is made at the first backup (npm run rumah -- backup)`);
      markShown(dataDir);
      return { text: keyLines(kit.text, kit.id).slice(1).join('\n'), json: { key: kit.text, keyId: kit.id } };
    },
  },
  {
    words: ['backup', 'list'], args: 0, store: false, usage: 'backup list [--json]', help: `list the backups in <data>/${BACKUPS_DIR}`,
    async run({ dataDir }) {
      const dir = path.join(dataDir, BACKUPS_DIR);
      const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(BACKUP_EXT)) : [];
      const list = names
        .map((name) => {
          const header = inspectBackup(path.join(dir, name));
          return { name, size: fs.statSync(path.join(dir, name)).size, createdAt: header.createdAt, rumahVersion: header.rumahVersion, schema: header.schema, keyId: header.keyId };
        })
        .sort((a, b) => b.createdAt - a.createdAt);
      const text = list.map((b) => `${b.name}\t${(b.size / 1024 / 1024).toFixed(1)} MiB\trumah ${b.rumahVersion}\tkey ${b.keyId}`).join('\n');
      return { text: text || '(none)', json: list };
    },
  },
  {
    words: ['backup'], args: 0, store: false, usage: 'backup [FILE] [--json]', help: 'back up the whole house (databases, rules, rumah.yaml, TLS), encrypted; safe while the hub runs',
    async run({ dataDir, args }) {
      const target = args[0] ? path.resolve(args[0]) : undefined;
      const made = await backup(dataDir, target);
      const text = [`backup written: ${made.file} (${made.size} bytes, key id ${made.keyId})`, ...(made.key ? keyLines(made.key, made.keyId) : [])].join('\n');
      return { text, json: made };
    },
  },
  {
    words: ['restore'], args: 1, store: false, usage: 'restore FILE [--key KEY]', help: 'restore a backup into the data folder (hub stopped); what it replaces is moved to <data>/replaced-*',
    async run({ dataDir, args, key }) {
      const file = path.resolve(args[0]!);
      const header = inspectBackup(file);
      try {
        const done = await restoreBackup({ dataDir, file, key: keyFor(dataDir, key), progress: printProgress });
        const text = [
          `restored ${file} (made ${new Date(header.createdAt).toISOString()} by rumah ${header.rumahVersion}) into ${dataDir}`,
          ...(done.replaced ? [`the files it replaced are in ${done.replaced}`] : []),
          'start the hub: npm start',
        ].join('\n');
        return { text, json: { file, dataDir, manifest: done.manifest, replaced: done.replaced ?? null } };
      } finally {
        endProgress();
      }
    },
  },
];
