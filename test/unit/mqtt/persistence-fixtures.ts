// Shared by the broker persistence tests: a real SQLite file in a fresh temp dir, and a logger.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../server/core/logger.js';
import { createSqlitePersistence, type SqlitePersistence, type SqlitePersistenceOptions } from '../../../server/mqtt/persistence/sqlite-persistence.js';

export interface TempDir {
  path: string;
  file: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'rumah-broker-db-'));
  return { path, file: join(path, 'broker.db'), remove: () => rm(path, { recursive: true, force: true }) };
}

/** A logger that keeps what it writes, to assert on what was logged. */
export function memoryLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('info', sink);
  const lines = (): Array<Record<string, unknown>> =>
    chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines };
}

export const silentLog: Logger = createLogger('silent');

export const broker = (id = 'broker-test'): { id: string; counter: number } => ({ id, counter: 0 });

/** A persistence on `file`, set up (as aedes would) with a fake broker. */
export async function openPersistence(file: string, extra: Partial<SqlitePersistenceOptions> = {}): Promise<SqlitePersistence> {
  const persistence = createSqlitePersistence({ file, log: silentLog, ...extra });
  await persistence.setup(broker());
  return persistence;
}
