import type { Migration } from '../store/migrations.js';

// Migration 8: the logbook (server/logbook, docs/dashboard.md#logbook). Only this file knows its table; the list
// in server/store/migrations.ts names it with one line.
export const logbookMigration: Migration = {
  version: 8,
  sql: `
    -- What happened in the house, in words, newest first by id. ids are given by the hub's one writer
    -- (server/logbook/writer.ts), in the order things happened, so a page's cursor is "before this id".
    -- source: whose quota an entry counts against (an account's devices, a user, a rule, logins, pairing):
    -- logbook.maxPerSource entries each, so one chattering device cannot push everything else out.
    -- AUTOINCREMENT: sqlite_sequence remembers the largest id ever written, so ids never go back after retention
    -- emptied the table (an open page would sort new entries below old ones).
    CREATE TABLE logbook (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL,      -- ms since epoch
      kind TEXT NOT NULL,       -- state | event | command | rule | availability | pairing | login
      cause TEXT NOT NULL,      -- device | user | rule | system (the filter on the page)
      source TEXT NOT NULL,
      device_id TEXT,
      actor TEXT,               -- the user name or rule id that did it
      level TEXT,               -- NULL, or 'warning' (a failed login, a rule that failed)
      message TEXT NOT NULL
    );
    CREATE INDEX logbook_ts ON logbook (ts);
    CREATE INDEX logbook_device ON logbook (device_id, id) WHERE device_id IS NOT NULL;
    CREATE INDEX logbook_cause ON logbook (cause, id);
    CREATE INDEX logbook_source ON logbook (source, id);
  `,
};
