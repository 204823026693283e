import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { AccountsRepo } from './accounts-repo.js';
import { ApiTokensRepo } from './api-tokens-repo.js';
import { StoreCheckpoints } from './checkpoints.js';
import { Database, type DatabaseOptions } from './database.js';
import { DevicesRepo } from './devices-repo.js';
import { HistoryRepo } from './history-repo.js';
import { HistoryWriter, type HistoryWriterOptions } from './history-writer.js';
import { latestVersion, migrate } from './migrations.js';
import { Retention, type RetentionOptions } from './retention.js';
import { SeriesRepo } from './series-repo.js';
import { SessionsRepo } from './sessions-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { StateRepo } from './state-repo.js';
import { UsersRepo } from './users-repo.js';

export interface StoreOptions {
  database?: DatabaseOptions;
  /** Checkpoint the WAL this often from a second connection (the hub: 1000 ms); off when absent (the CLI). */
  checkpointIntervalMs?: number;
  history?: HistoryWriterOptions;
  retention?: RetentionOptions;
}

export const DB_FILE_NAME = 'rumah.db';

/** Everything the rest of the hub needs from SQLite, built on one connection. */
export class Store {
  readonly devices: DevicesRepo;
  readonly state: StateRepo;
  readonly series: SeriesRepo;
  readonly history: HistoryRepo;
  readonly accounts: AccountsRepo;
  readonly users: UsersRepo;
  readonly sessions: SessionsRepo;
  readonly apiTokens: ApiTokensRepo;
  readonly settings: SettingsRepo;
  readonly writer: HistoryWriter;
  readonly retention: Retention;
  private closing?: Promise<void>;
  /** Set by openStore when asked for (StoreOptions.checkpointIntervalMs). */
  checkpoints?: StoreCheckpoints;

  /** `log` is the parent logger: each part takes a child named for itself. */
  constructor(
    readonly db: Database,
    log: Logger,
    opts: StoreOptions = {},
  ) {
    this.devices = new DevicesRepo(db);
    this.state = new StateRepo(db, log.child({ module: 'state-repo' }));
    this.series = new SeriesRepo(db);
    this.history = new HistoryRepo(db);
    this.accounts = new AccountsRepo(db);
    this.users = new UsersRepo(db);
    this.sessions = new SessionsRepo(db);
    this.apiTokens = new ApiTokensRepo(db);
    this.settings = new SettingsRepo(db);
    this.writer = new HistoryWriter(db, log, opts.history);
    this.retention = new Retention(db, this.settings, log, opts.retention);
  }

  /** Starts the writer's timer and retention's schedule; idempotent (openStore already calls it). */
  start(): void {
    this.writer.start();
    this.retention.start();
  }

  /** Idempotent: stops retention, writes what the history writer holds, then closes the database. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.retention.stop();
      await this.writer.stop();
      await this.checkpoints?.stop();
      await this.db.close();
    })();
    return this.closing;
  }
}

/**
 * Opens `<dataDir>/rumah.db` (creating the folder and the file), migrates it and starts the writer and retention.
 * Started here rather than left to the caller: a writer that was never started would hold history in memory
 * until shutdown without a word.
 */
export async function openStore(dataDir: string, log: Logger, opts: StoreOptions = {}): Promise<Store> {
  const storeLog = log.child({ module: 'store' });
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.accessSync(dataDir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw new RumahError(
      ErrorCodes.DATA_DIR_UNWRITABLE,
      `The data folder ${dataDir} cannot be created or written (${(err as Error).message}). ` +
        'Create it and give the user running rumah read and write access, or choose another data folder.',
      { dataDir },
    );
  }
  refuseEmptiedDatabase(dataDir);
  const db = await Database.open(path.join(dataDir, DB_FILE_NAME), log, opts.database);
  try {
    // A check running beside (DatabaseOptions.checkBeside) still comes before a migration, the first write.
    if (opts.database?.checkBeside && ((await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0) < latestVersion) await db.checked;
    await migrate(db, storeLog);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const store = new Store(db, log, opts);
  if (opts.checkpointIntervalMs) {
    try {
      // SQLite's own checkpoint only bounds the WAL's size now (40 MiB): see checkpoints.ts.
      await db.exec('PRAGMA wal_autocheckpoint = 10000');
      store.checkpoints = await StoreCheckpoints.open(db.file, log);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    store.checkpoints.start(opts.checkpointIntervalMs);
  }
  store.start();
  return store;
}

/**
 * A rumah.db of 0 bytes is, to SQLite, an empty database: the hub would start as a fresh install — users,
 * credentials, tokens and devices gone, a new admin made — beside a broker.db and rules that say this house had
 * data. That is a file truncated by a full disk or a failed copy, not a new install: refused (exit 3), nothing
 * written. A 0-byte file in an otherwise empty folder (made by hand, or by a start cut short) is a fresh install.
 */
function refuseEmptiedDatabase(dataDir: string): void {
  const file = path.join(dataDir, DB_FILE_NAME);
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
  if (size !== 0) return;
  const brokerDb = fs.statSync(path.join(dataDir, 'broker.db'), { throwIfNoEntry: false });
  const rulesDir = path.join(dataDir, 'rules');
  const rules = fs.statSync(rulesDir, { throwIfNoEntry: false })?.isDirectory() ? fs.readdirSync(rulesDir).filter((f) => !f.startsWith('.')) : [];
  const signs = [...(brokerDb && brokerDb.size > 0 ? ['broker.db'] : []), ...(rules.length ? [`${rules.length} rule file(s)`] : [])];
  if (!signs.length) return;
  throw new RumahError(
    ErrorCodes.DB_OPEN,
    `The database ${file} is empty (0 bytes), but this data folder has ${signs.join(' and ')}: it was emptied (a full disk, a failed copy), and starting would make a new house without its users, devices and credentials. ` +
      'Stop rumah and restore rumah.db from a backup; or, to start afresh on purpose, move the whole data folder aside.',
    { file },
  );
}

export { Database } from './database.js';
export type { SqlParams, SqlValue, RunResult, DatabaseOptions } from './database.js';
export type { HistoryWriterOptions } from './history-writer.js';
export type { RetentionOptions, RetentionResult } from './retention.js';
export type { Account, AccountKind } from './accounts-repo.js';
export type { User, UserRole } from './users-repo.js';
export type { Session } from './sessions-repo.js';
export type { ApiToken } from './api-tokens-repo.js';
export type { StoredState } from './state-repo.js';
export type { Sample, HourlySample } from './history-repo.js';
export type { Series } from './series-repo.js';
export {
  AccountsRepo,
  ApiTokensRepo,
  DevicesRepo,
  HistoryRepo,
  HistoryWriter,
  Retention,
  SeriesRepo,
  SessionsRepo,
  SettingsRepo,
  StateRepo,
  UsersRepo,
};
