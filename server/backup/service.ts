import fs from 'node:fs';
import path from 'node:path';
import nodeCron, { type ScheduledTask } from 'node-cron';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { BACKUP_EXT, BACKUPS_DIR, createBackup, defaultBackupFile, type BackupKind, type BackupResult } from './create.js';
import { loadOrCreateKit, markShown } from './kit.js';
import type { BackupProgress } from './progress.js';

export interface BackupSettings {
  /** Automatic backups on `schedule` (node-cron syntax, in location.timezone). */
  enabled: boolean;
  schedule: string;
  /** Automatic backups kept in <data>/backups; older ones are deleted after each new one. */
  keep: number;
}

export interface BackupJob {
  id: number;
  kind: BackupKind;
  startedAt: number;
  progress?: BackupProgress;
}

/** How the last backup ended, for a caller that started it without waiting (the CLI: see begin()). */
export type BackupEnd = { id: number; finishedAt: number } & ({ ok: true; outcome: BackupOutcome } | { ok: false; error: { code?: string; message: string } });

export interface BackupOutcome extends BackupResult {
  /** The key, when no person has seen it yet: this answer is the one time it is shown. */
  key?: string;
  keyId: string;
}

/**
 * The running hub's backups: one at a time, on demand (API, CLI through the API) or on the schedule, with the
 * automatic ones pruned to `keep`.
 */
export class BackupService {
  private task?: ScheduledTask;
  private running?: { job: BackupJob; done: Promise<unknown> };
  private nextId = 1;
  private ended?: BackupEnd;
  lastError?: string;

  readonly dataDir: string;

  constructor(private readonly opts: { dataDir: string; settings: BackupSettings; timezone?: string; log: Logger }) {
    this.dataDir = opts.dataDir;
  }

  start(): void {
    const { settings, timezone } = this.opts;
    if (!settings.enabled) return;
    this.task = nodeCron.schedule(settings.schedule, () => void this.automatic(), { name: 'rumah-backup', ...(timezone ? { timezone } : {}) });
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    // A backup under way holds its own database connections; the hub closes its own only after it ends.
    await this.running?.done.catch(() => undefined);
  }

  get job(): BackupJob | undefined {
    return this.running?.job;
  }

  /**
   * How the last backup ended; the key in it (if any) is given out this once, then dropped. The CLI starts a backup
   * with begin() and polls this: a request held open for a long backup would meet fetch's 300 s header timeout.
   */
  takeEnd(): BackupEnd | undefined {
    const end = this.ended;
    if (end?.ok && end.outcome.key) this.ended = { ...end, outcome: { ...end.outcome, key: undefined } };
    return end;
  }

  /** Starts a backup and answers at once with its job; run() waits for it. */
  begin(kind: BackupKind): BackupJob {
    const done = this.run(kind, true);
    done.catch(() => undefined); // reported through takeEnd()
    return this.running!.job;
  }

  /** One backup; CONFLICT while another runs. The key is in the answer only if no one has been shown it yet. */
  async run(kind: BackupKind, keyInEnd = false): Promise<BackupOutcome> {
    if (this.running) throw new RumahError(ErrorCodes.CONFLICT, `a backup is already running (started ${new Date(this.running.job.startedAt).toISOString()})`);
    const { dataDir, log } = this.opts;
    const job: BackupJob = { id: this.nextId++, kind, startedAt: Date.now() };
    const work = (async (): Promise<BackupOutcome> => {
      const kit = loadOrCreateKit(dataDir);
      const result = await createBackup({ dataDir, kit, file: defaultBackupFile(dataDir, kind), progress: (p) => (job.progress = p) });
      log.info({ file: result.file, bytes: result.size, kind }, 'backup written');
      if (kind === 'auto') this.prune();
      if (kit.shown || kind === 'auto') {
        if (!kit.shown) log.warn({ keyId: kit.id }, 'a backup key was made for the automatic backups and no one has seen it yet: without it no backup can be restored. Show it once with: npm run rumah -- backup key');
        return { ...result, keyId: kit.id };
      }
      markShown(dataDir);
      return { ...result, keyId: kit.id, key: kit.text };
    })();
    this.running = { job, done: work };
    try {
      const outcome = await work;
      this.lastError = undefined;
      // The key goes to whoever asked: in run()'s answer, or (begin()) in the one takeEnd() after it.
      this.ended = { id: job.id, finishedAt: Date.now(), ok: true, outcome: keyInEnd ? outcome : { ...outcome, key: undefined } };
      return outcome;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.ended = { id: job.id, finishedAt: Date.now(), ok: false, error: { code: (err as { code?: string }).code, message: (err as Error).message } };
      throw err;
    } finally {
      this.running = undefined;
    }
  }

  /** The backup files in <data>/backups, newest first. */
  list(): Array<{ name: string; size: number; createdAt: number }> {
    const dir = path.join(this.opts.dataDir, BACKUPS_DIR);
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(BACKUP_EXT)) : [];
    return names
      .map((name) => {
        const stat = fs.statSync(path.join(dir, name));
        return { name, size: stat.size, createdAt: stat.mtimeMs };
      })
      // Newest first, whatever their kind (the names sort by kind first).
      .sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
  }

  private async automatic(): Promise<void> {
    try {
      await this.run('auto');
    } catch (err) {
      this.opts.log.error({ err }, 'automatic backup failed');
    }
  }

  /** Keeps the newest `keep` automatic backups; manual and pre-migration ones are the admin's to delete. */
  private prune(): void {
    const dir = path.join(this.opts.dataDir, BACKUPS_DIR);
    const autos = fs.readdirSync(dir).filter((n) => n.startsWith('auto-') && n.endsWith(BACKUP_EXT)).sort().reverse();
    for (const name of autos.slice(this.opts.settings.keep)) {
      fs.rmSync(path.join(dir, name), { force: true });
      this.opts.log.info({ file: name }, 'old automatic backup deleted');
    }
  }
}
