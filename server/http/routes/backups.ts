import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { ErrorCodes, RumahError } from '../../core/errors.js';
import type { AuthApi } from '../../api/auth.js';
import type { BackupOutcome, BackupService } from '../../backup/service.js';
import { BACKUP_EXT, BACKUPS_DIR } from '../../backup/create.js';
import { parseKey } from '../../backup/kit.js';
import type { BackupProgress } from '../../backup/progress.js';
import { stageRestore } from '../../backup/restore.js';

/** The largest backup the first-run page accepts: a bound on what an upload may write to the disk. */
export const MAX_UPLOAD_BYTES = 16 * 1024 ** 3;

/**
 * Admin only (docs/backup.md). POST makes a backup in <data>/backups (never at a path the caller names: an admin of
 * the dashboard is not an admin of the machine); `rumah backup FILE` copies it to FILE itself.
 */
export function backupRoutes(backups: BackupService): Router {
  const router = Router();
  // {wait: false}: 202 with the job at once; GET /progress then says how it ended (the CLI does this).
  router.post('/', async (req, res) => {
    if ((req.body as { wait?: unknown } | undefined)?.wait === false) return void res.status(202).json({ job: backups.begin('manual') });
    res.status(201).json(describeOutcome(await backups.run('manual')));
  });
  router.get('/', (_req, res) => void res.json({ backups: backups.list(), job: backups.job ?? null, lastError: backups.lastError ?? null }));
  router.get('/progress', (_req, res) => {
    const end = backups.takeEnd();
    const last = end && (end.ok ? { id: end.id, ok: true, ...describeOutcome(end.outcome) } : { id: end.id, ok: false, error: end.error });
    res.json({ job: backups.job ?? null, last: last ?? null });
  });
  router.get('/:name', (req, res) => {
    const name = req.params.name;
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !name.endsWith(BACKUP_EXT) || !backups.list().some((b) => b.name === name)) throw new RumahError(ErrorCodes.NOT_FOUND, `no backup named "${name}"`);
    res.download(path.join(backups.dataDir, BACKUPS_DIR, name));
  });
  return router;
}

function describeOutcome(out: BackupOutcome): Record<string, unknown> {
  return {
    name: path.basename(out.file), file: out.file, size: out.size, createdAt: out.manifest.createdAt, rumahVersion: out.manifest.rumahVersion,
    schema: out.manifest.schema, files: out.manifest.files.length, keyId: out.keyId, ...(out.key ? { key: out.key } : {}),
  };
}

/**
 * POST /api/setup/restore: the first-run page's "restore a backup". Only while no user exists, and with the setup
 * code (printed at first start, as for "create the admin"): without it anyone who reached a fresh hub first could
 * install a house, admin included, of their own. The body is the backup file itself (application/octet-stream),
 * the key and the code are headers. The upload is staged and checked (restore.ts); when it is good the hub
 * restarts onto it (`restart`), and the page waits for it to come back.
 */
export function setupRestoreRoutes(opts: { auth: AuthApi; dataDir: string; restart: () => void }): Router {
  const router = Router();
  let current: { progress?: BackupProgress } | undefined;
  // With the setup code too: every call is authorised, and before the first user that code is the only credential.
  router.get('/restore/progress', async (req, res) => {
    await opts.auth.checkSetupCode(header(req, 'x-setup-code'));
    res.json({ job: current ?? null });
  });
  router.post('/restore', async (req, res) => {
    await opts.auth.checkSetupCode(header(req, 'x-setup-code'));
    const key = parseKey(header(req, 'x-backup-key'));
    if (current) throw new RumahError(ErrorCodes.CONFLICT, 'a restore is already under way');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_UPLOAD_BYTES) throw new RumahError(ErrorCodes.BAD_REQUEST, `a backup of more than ${MAX_UPLOAD_BYTES} bytes is restored with the CLI`);
    const job: { progress?: BackupProgress } = {};
    current = job;
    const upload = path.join(opts.dataDir, BACKUPS_DIR, `.upload-${crypto.randomBytes(4).toString('hex')}`);
    try {
      fs.mkdirSync(path.dirname(upload), { recursive: true, mode: 0o700 });
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        job.progress = { phase: 'upload', done: received, total: Number.isFinite(declared) ? declared : 0 };
        if (received > MAX_UPLOAD_BYTES) req.destroy(new Error('upload too large'));
      });
      await pipeline(req, fs.createWriteStream(upload, { mode: 0o600 })).catch((err: Error) => {
        throw new RumahError(ErrorCodes.BAD_REQUEST, `the upload did not arrive whole (${err.message})`);
      });
      const manifest = await stageRestore({ dataDir: opts.dataDir, file: upload, key, progress: (p) => (job.progress = p) }).catch((err: unknown) => {
        // The messages name the file they read: here that is our temporary upload, which means nothing to the user.
        if (err instanceof RumahError) throw new RumahError(err.code, err.message.split(upload).join('the uploaded backup'));
        throw err;
      });
      // After the answer is sent: the restart closes every connection.
      res.on('finish', () => opts.restart());
      res.json({ restored: true, createdAt: manifest.createdAt, rumahVersion: manifest.rumahVersion, schema: manifest.schema, files: manifest.files.length, restarting: true });
    } finally {
      fs.rmSync(upload, { force: true });
      current = undefined;
    }
  });
  return router;
}

function header(req: Request, name: string): string {
  const value = req.headers[name];
  if (typeof value !== 'string' || value === '') throw new RumahError(ErrorCodes.BAD_REQUEST, `the ${name} header is required`);
  return value;
}
