import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sqliteCode, type Database } from './database.js';
import { logbookMigration } from '../logbook/migration.js';

// Numbered schema migrations, tracked by `PRAGMA user_version` (an integer in the file header: no table needed).
// Never edit a migration that has shipped: add the next number.

export interface Migration {
  version: number;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- The registry's Device as JSON: it changes shape often, and is read whole at start.
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        owner TEXT,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX devices_owner ON devices (owner) WHERE owner IS NOT NULL;

      -- Last value of each (device, property), restored at start. No foreign key to devices: a state may be
      -- written before (or without) its device row, and one missing row must not fail a whole history batch.
      CREATE TABLE state (
        device_id TEXT NOT NULL,
        property TEXT NOT NULL,
        value TEXT NOT NULL,  -- JSON
        ts INTEGER NOT NULL,  -- ms since epoch
        cause TEXT NOT NULL,  -- JSON
        PRIMARY KEY (device_id, property)
      ) WITHOUT ROWID;

      -- A small integer per (device, property), so each history row stores 1-2 bytes instead of two strings.
      CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        property TEXT NOT NULL,
        UNIQUE (device_id, property)
      );

      -- Raw samples. REAL affinity stores numbers as numbers (integral ones compactly, as SQLite does for REAL);
      -- anything else is stored as JSON text; null as NULL. No foreign key: it would cost a lookup per row on the
      -- hottest write path, and series rows are never deleted.
      CREATE TABLE history (
        series_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,  -- ms since epoch
        value REAL
      );
      CREATE INDEX history_series_ts ON history (series_id, ts);

      -- Hourly roll-up of numeric samples; hour = floor(ts / 3600000).
      CREATE TABLE history_hourly (
        series_id INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        avg REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (series_id, hour)
      ) WITHOUT ROWID;

      -- MQTT credentials.
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('device', 'admin')),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );

      -- Dashboard users.
      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
        created_at INTEGER NOT NULL
      );

      -- Only the sha256 of a session token is stored: a copy of the file does not log anyone in.
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_expires ON sessions (expires_at);
      CREATE INDEX sessions_username ON sessions (username);

      CREATE TABLE api_tokens (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      );

      -- Small JSON values: UI preferences, the retention watermark...
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Topic filters an account may publish and subscribe under (JSON array); NULL: the ownership rules apply
      -- (a device publishes only to topics no other account owns). See devices/pairing/acl.ts.
      ALTER TABLE accounts ADD COLUMN acl TEXT;
    `,
  },
  {
    version: 3,
    sql: `
      -- Rule traces (rules/engine/trace.ts): the last N evaluations of each rule, runs (fired = 1) and evaluations
      -- that did not fire (fired = 0) kept apart. trace is the JSON the API returns.
      CREATE TABLE rule_traces (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        fired INTEGER NOT NULL,
        result TEXT NOT NULL,
        trace TEXT NOT NULL
      );
      CREATE INDEX rule_traces_rule ON rule_traces (rule_id, fired, at);

      -- Durable rule timers: pending 'for' waits of triggers, delays and waits of runs. remaining_ms is written at a
      -- clean stop: timers pause while the hub is down and resume with the time they had left.
      CREATE TABLE rule_timers (
        id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        remaining_ms INTEGER,
        data TEXT NOT NULL
      );
      CREATE INDEX rule_timers_rule ON rule_timers (rule_id);

      -- The last run of each cron trigger, so catch_up knows whether a run was missed while the hub was down.
      CREATE TABLE rule_cron (
        rule_id TEXT NOT NULL,
        trigger_key TEXT NOT NULL,
        last_run INTEGER NOT NULL,
        PRIMARY KEY (rule_id, trigger_key)
      );
    `,
  },
  {
    version: 4,
    sql: `
      -- What an API token may do (server/store/api-tokens-repo.ts): metrics, read, control or admin. Tokens made
      -- before scopes existed were all admin, and stay so.
      ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
    `,
  },
  // Migration 5: the MQTT-SN gateway (server/mqttsn/bindings-repo.ts, docs/mqttsn.md).
  {
    version: 5,
    sql: `
      -- MQTT-SN 1.2 has no credentials: a client id is admitted only when bound to an MQTT account, whose ACL then
      -- applies. addresses: JSON array of source IPs it may come from; NULL: any.
      CREATE TABLE mqttsn_clients (
        client_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        addresses TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX mqttsn_clients_account ON mqttsn_clients (account);

      -- Predefined topic ids (MQTT-SN §2.4, §6.8), per account: known to both sides beforehand, used without REGISTER
      -- and by QoS -1 publishers, which never connect.
      CREATE TABLE mqttsn_topics (
        account TEXT NOT NULL,
        topic_id INTEGER NOT NULL,
        topic TEXT NOT NULL,
        PRIMARY KEY (account, topic_id)
      );
    `,
  },
  {
    // Migration 6: outbound bridges (server/bridge/queue-store.ts, docs/bridges.md).
    version: 6,
    sql: `
      -- QoS 1/2 messages waiting to cross an outbound bridge (server/bridge/queue-store.ts), in id order; a row is
      -- deleted once the remote acknowledged it. Bounded per bridge by bridges[].maxQueuedMessages / maxQueuedBytes.
      CREATE TABLE bridge_queue (
        id INTEGER PRIMARY KEY,
        bridge TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        qos INTEGER NOT NULL,
        retain INTEGER NOT NULL
      );
      CREATE INDEX bridge_queue_bridge ON bridge_queue (bridge, id);
    `,
  },
  {
    // Migration 7: floors and rooms as things (server/areas/, docs/dashboard.md "Areas"). Devices keep the names of
    // their floor and room; the hub keeps them equal to these rows' names. Free-text names devices already had
    // become rows at the first start (server/areas/service.ts adopt()), deduplicated by areaKey().
    version: 7,
    sql: `
      -- kind 'floor' or 'room'; a room's floor_id names its floor (NULL only for rooms imported without one);
      -- position orders floors among floors and rooms within their floor. owner: the MQTT account whose device's
      -- topic made it (bounded per account); NULL for areas an admin made or the migration imported. aliases: JSON array
      -- of the keys of its earlier names, so a device publishing under the old topic word still lands in it.
      CREATE TABLE areas (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('floor', 'room')),
        name TEXT NOT NULL,
        floor_id INTEGER,
        position INTEGER NOT NULL,
        owner TEXT,
        aliases TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX areas_floor ON areas (floor_id, position);
    `,
  },
  // Migration 8: the logbook (server/logbook/migration.ts).
  logbookMigration,
];

export const latestVersion = migrations.reduce((max, m) => Math.max(max, m.version), 0);

/** Applies the migrations newer than the file's user_version, each in its own transaction with its version bump. */
export async function migrate(db: Database, log: Logger, list: readonly Migration[] = migrations): Promise<number> {
  checkOrder(list);
  const current = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
  const latest = list.at(-1)?.version ?? 0;
  if (current > latest) {
    // Running an older rumah on a newer file would write rows the newer schema does not expect.
    throw new RumahError(
      ErrorCodes.DB_OPEN,
      `The database ${db.file} has schema version ${current}, newer than this rumah knows (${latest}). ` +
        'Run the newer rumah again, or restore a backup made by this version.',
      { file: db.file, version: current, latest },
    );
  }
  for (const m of list) {
    if (m.version <= current) continue;
    try {
      await db.transaction(async (tx) => {
        // Another process (the CLI beside a starting hub) may have migrated between our read and this write lock.
        const now = (await tx.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
        if (now >= m.version) return;
        await tx.exec(m.sql);
        // user_version lives in the file header, which is written within the transaction: it rolls back with it.
        await tx.exec(`PRAGMA user_version = ${m.version}`);
      });
    } catch (err) {
      throw new RumahError(
        ErrorCodes.DB_OPEN,
        `Migrating the database ${db.file} to schema version ${m.version} failed (${(err as Error).message}); ` +
          'nothing was changed. Is this file really rumah\'s? If it is, restore a backup or move it aside and restart.',
        { file: db.file, version: m.version, sqliteCode: sqliteCode(err) },
      );
    }
    log.info({ version: m.version }, 'database migrated');
  }
  return Math.max(current, latest);
}

function checkOrder(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && m.version <= list[i - 1]!.version)) {
      throw new Error(`migrations must have increasing positive integer versions (at index ${i}: ${m.version})`);
    }
  });
}
