// The broker database schema. One table per kind of MQTT session state; every packet is stored as
// `meta` (its fields as JSON, see packet-codec.ts) and `payload` (a BLOB, never re-encoded).
// `PRAGMA user_version` holds the schema version; a migration is one more entry in MIGRATIONS.
import type { Connection } from './sqlite-connection.js';

const MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  -- Retained messages, one per topic [MQTT-3.3.1-5].
  CREATE TABLE retained (
    topic   TEXT PRIMARY KEY NOT NULL,
    meta    TEXT NOT NULL,
    payload BLOB
  );
  -- The subscriptions of clean=false sessions [MQTT-3.1.2-4], QoS 0 ones included (they are
  -- restored on reconnect, only QoS > 0 ones queue messages while the client is away).
  -- rowid keeps the order of first subscription: upserts keep it, so a reload lists as before.
  CREATE TABLE subscriptions (
    client_id       TEXT NOT NULL,
    topic           TEXT NOT NULL,
    qos             INTEGER NOT NULL,
    rh              INTEGER,
    rap             INTEGER,
    nl              INTEGER,
    subscription_id INTEGER,
    PRIMARY KEY (client_id, topic)
  );
  -- Outgoing QoS 1/2 messages (and PUBRELs) per client, in queue order; seq is assigned by us.
  CREATE TABLE outgoing (
    seq       INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    meta      TEXT NOT NULL,
    payload   BLOB
  );
  -- Incoming QoS 2 messages received but not yet released by PUBREL [MQTT-4.3.3-2].
  CREATE TABLE incoming (
    client_id  TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    meta       TEXT NOT NULL,
    payload    BLOB,
    PRIMARY KEY (client_id, message_id)
  );
  -- Will messages of connected clients, so a crash does not lose them [MQTT-3.1.2-8].
  CREATE TABLE wills (
    client_id TEXT PRIMARY KEY NOT NULL,
    meta      TEXT NOT NULL,
    payload   BLOB
  );
  `,
  // 2: MQTT 5 Session Expiry [MQTT-3.1.2-23]. aedes keeps the deadline in a timer only (moscajs/aedes#839); kept
  // here, a restart no longer lets a session outlive its expiry (one cut off by a crash: by at most the downtime).
  `
  -- One row per MQTT 5 session with a finite Session Expiry Interval > 0. expiry_interval in seconds, as the client
  -- gave it (clamped to mqtt.maxSessionExpiry); expires_at in ms since the epoch, NULL while the client is connected.
  CREATE TABLE session_expiry (
    client_id       TEXT PRIMARY KEY NOT NULL,
    expiry_interval INTEGER NOT NULL,
    expires_at      INTEGER
  );
  `,
  // 3: who owns what (issue 15): a client id's persistent session belongs to the account that made it, and a
  // retained message counts against the quota of the account that published it (server/mqtt/client-id-owner.ts,
  // server/mqtt/storage-quotas.ts). Both survive a restart, so neither a session nor a quota is up for grabs after one.
  `
  -- The account (MQTT username) that holds each client id's persistent session. A row may outlive its session; a
  -- client id whose session is gone is free again (the row is replaced or pruned).
  CREATE TABLE session_owners (
    client_id TEXT PRIMARY KEY NOT NULL,
    username  TEXT NOT NULL
  );
  -- The account that published the retained message; NULL: the hub itself, or stored before schema 3.
  ALTER TABLE retained ADD COLUMN owner TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`its schema version is ${found}, newer than the ${SCHEMA_VERSION} this version of rumah knows`);
  }
}

/**
 * Brings the schema to SCHEMA_VERSION in one IMMEDIATE transaction. It runs on every start, so it
 * also proves the file is writable (a read-only file opens without error and fails only here).
 */
export async function migrate(conn: Connection): Promise<{ from: number; to: number }> {
  await conn.exec('BEGIN IMMEDIATE');
  try {
    const [row] = await conn.all<{ user_version: number }>('PRAGMA user_version');
    const from = row?.user_version ?? 0;
    if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from);
    for (let version = from; version < SCHEMA_VERSION; version++) await conn.exec(MIGRATIONS[version]!);
    // Written even when unchanged: the write is the writability probe.
    await conn.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    await conn.exec('COMMIT');
    return { from, to: SCHEMA_VERSION };
  } catch (err) {
    await conn.exec('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
