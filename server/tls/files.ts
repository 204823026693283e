import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';

/**
 * Writes a file so that a reader (a device fetching ca.crt, the hub restarting after a power cut) sees the old
 * content or the new, never half of it: a temp file in the same folder, fsync, rename. `mode` applies to the new
 * file, so a key is never readable by others, not even for a moment.
 */
export function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, mode); // the umask may have taken bits away from the mode given to open
  fs.renameSync(tmp, file);
}

/** The file's text, undefined if it does not exist; any other failure is a coded error naming the file. */
export function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RumahError(ErrorCodes.TLS_CERT, `cannot read ${file}: ${(err as Error).message}`, { file, reason: 'unreadable' });
  }
}

/** A user-given file must exist: its absence is a configuration mistake, reported with the path we tried. */
export function readRequired(file: string, what: string): string {
  const text = readOptional(file);
  if (text === undefined) throw new RumahError(ErrorCodes.TLS_CERT, `${what} ${file} does not exist (tls.certFile and tls.keyFile are read relative to the data directory)`, { file, reason: 'missing' });
  return text;
}

/** The folder for generated TLS material: only the hub's user may list it. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

export function resolveIn(dataDir: string, file: string): string {
  return path.resolve(dataDir, file);
}
