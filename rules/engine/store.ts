// The rules engine's SQLite tables (migration 3): traces, durable timers, cron last runs and a heartbeat. Writes are
// issued without waiting on the message path; the connection runs them in order.

import type { Database } from '../../server/store/database.js';
import type { Trace } from './trace.js';

export type TimerKind = 'for' | 'delay' | 'wait';

export interface TimerRow {
  id: string;
  ruleId: string;
  kind: TimerKind;
  /** `for`: the trigger key and subject; delay/wait: the action path. */
  key: string;
  dueAt: number;
  /** Set at a clean stop: the time the timer had left. */
  remainingMs?: number;
  data: unknown;
}

const HEARTBEAT_KEY = 'rules.heartbeat';

// One statement per batch: the rows travel as one JSON array expanded by json_each (see store/history-writer.ts).
const UPSERT_TRACES = `INSERT INTO rule_traces (id, rule_id, at, fired, result, trace)
  SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5 FROM json_each(?) AS j WHERE true
  ON CONFLICT (id) DO UPDATE SET result = excluded.result, fired = excluded.fired, trace = excluded.trace`;

const PRUNE_TRACES = `DELETE FROM rule_traces WHERE id IN (
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY rule_id, fired ORDER BY at DESC, id DESC) AS n FROM rule_traces) WHERE n > ?)`;

export class RulesStore {
  constructor(private readonly db: Database) {}

  async writeTraces(traces: readonly Trace[]): Promise<void> {
    if (traces.length === 0) return;
    // The trace goes in as an object, not a string of JSON inside the JSON: `->> 5` gives its JSON text all the
    // same, and every trace is encoded once instead of twice (its text escaped again).
    const rows = traces.map((t) => [t.id, t.ruleId, t.at, t.fired ? 1 : 0, t.result, t]);
    await this.db.run(UPSERT_TRACES, [JSON.stringify(rows)]);
  }

  /** Keeps the newest `keep` of each rule and kind; returns how many were removed. */
  async pruneTraces(keep: number): Promise<number> {
    return (await this.db.run(PRUNE_TRACES, [keep])).changes;
  }

  async loadTraces(keep: number): Promise<Trace[]> {
    const rows = await this.db.all<{ trace: string }>(
      `SELECT trace FROM (SELECT trace, row_number() OVER (PARTITION BY rule_id, fired ORDER BY at DESC, id DESC) AS n FROM rule_traces) WHERE n <= ?`,
      [keep],
    );
    return rows.flatMap((r) => {
      try {
        return [JSON.parse(r.trace) as Trace];
      } catch {
        return [];
      }
    });
  }

  async deleteTraces(ruleId: string): Promise<void> {
    await this.db.run('DELETE FROM rule_traces WHERE rule_id = ?', [ruleId]);
  }

  async loadTimers(): Promise<TimerRow[]> {
    const rows = await this.db.all<{ id: string; rule_id: string; kind: TimerKind; key: string; due_at: number; remaining_ms: number | null; data: string }>(
      'SELECT id, rule_id, kind, key, due_at, remaining_ms, data FROM rule_timers',
    );
    return rows.map((r) => ({
      id: r.id, ruleId: r.rule_id, kind: r.kind, key: r.key, dueAt: r.due_at,
      ...(r.remaining_ms === null ? {} : { remainingMs: r.remaining_ms }),
      data: safeParse(r.data),
    }));
  }

  async saveTimer(row: TimerRow): Promise<void> {
    await this.db.run(
      `INSERT INTO rule_timers (id, rule_id, kind, key, due_at, remaining_ms, data) VALUES (?, ?, ?, ?, ?, NULL, ?)
       ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, remaining_ms = NULL, data = excluded.data`,
      [row.id, row.ruleId, row.kind, row.key, row.dueAt, JSON.stringify(row.data ?? null)],
    );
  }

  async deleteTimer(id: string): Promise<void> {
    await this.db.run('DELETE FROM rule_timers WHERE id = ?', [id]);
  }

  async deleteTimers(ruleId: string): Promise<void> {
    await this.db.run('DELETE FROM rule_timers WHERE rule_id = ?', [ruleId]);
  }

  /** At a clean stop: what each running timer has left, in one transaction. */
  async pauseTimers(left: ReadonlyArray<{ id: string; remainingMs: number }>): Promise<void> {
    if (left.length === 0) return;
    await this.db.run(
      `UPDATE rule_timers SET remaining_ms = (SELECT j.value ->> 1 FROM json_each(?) AS j WHERE j.value ->> 0 = rule_timers.id)
       WHERE id IN (SELECT j.value ->> 0 FROM json_each(?) AS j)`,
      [JSON.stringify(left.map((l) => [l.id, Math.max(0, Math.round(l.remainingMs))])), JSON.stringify(left.map((l) => [l.id]))],
    );
  }

  async loadCron(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ rule_id: string; trigger_key: string; last_run: number }>('SELECT rule_id, trigger_key, last_run FROM rule_cron');
    return new Map(rows.map((r) => [cronKey(r.rule_id, r.trigger_key), r.last_run]));
  }

  async setCron(ruleId: string, key: string, lastRun: number): Promise<void> {
    await this.db.run(
      'INSERT INTO rule_cron (rule_id, trigger_key, last_run) VALUES (?, ?, ?) ON CONFLICT (rule_id, trigger_key) DO UPDATE SET last_run = excluded.last_run',
      [ruleId, key, lastRun],
    );
  }

  async deleteCron(ruleId: string): Promise<void> {
    await this.db.run('DELETE FROM rule_cron WHERE rule_id = ?', [ruleId]);
  }

  /** When the engine was last known to run: after a crash, timers resume with what they had left at that time. */
  async heartbeat(now: number): Promise<void> {
    await this.db.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [HEARTBEAT_KEY, JSON.stringify(now)],
    );
  }

  async lastHeartbeat(): Promise<number | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [HEARTBEAT_KEY]);
    const value = row ? safeParse(row.value) : undefined;
    return typeof value === 'number' ? value : undefined;
  }
}

export function cronKey(ruleId: string, key: string): string {
  return `${ruleId}\n${key}`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
