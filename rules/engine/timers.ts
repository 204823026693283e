// Durable timers: a pending `for`, a delay or a wait is a row in SQLite as well as a clock timer, so a restart
// resumes it. Timers pause while the hub is down: a clean stop writes what each had left; after a crash the last
// heartbeat (written every 30 s) stands in for the stop time. A `for: 5m` with 2 minutes left fires 2 minutes
// after the restart (if its state still holds: the trigger checks that when it claims the row).

import { randomBytes } from 'node:crypto';
import type { Logger } from '../../server/core/logger.js';
import type { Clock, ClockTimer } from './clock.js';
import type { RulesStore, TimerKind, TimerRow } from './store.js';

export interface DurableTimer {
  readonly id: string;
  readonly dueAt: number;
  /** Stops it and deletes its row (the wait is over or interrupted). */
  cancel(): void;
}

export interface ScheduleSpec {
  ruleId: string;
  kind: TimerKind;
  key: string;
  ms: number;
  data: unknown;
  /** Keep the id of a restored row (its trace and run refer to it). */
  id?: string;
}

interface Active {
  row: TimerRow;
  timer: ClockTimer;
}

export const HEARTBEAT_MS = 30_000;

export class DurableTimers {
  private readonly active = new Map<string, Active>();
  /** Rows of the previous run of the hub, by rule, until a trigger or a run claims them. */
  private readonly restored = new Map<string, TimerRow[]>();
  private heartbeat?: ClockTimer;

  constructor(
    private readonly clock: Clock,
    private readonly store: RulesStore | undefined,
    private readonly log: Logger,
  ) {}

  /** Reads the rows left by the last run; each gets its due time moved by the time the hub was down. */
  async load(): Promise<void> {
    if (!this.store) return;
    const [rows, beat] = await Promise.all([this.store.loadTimers(), this.store.lastHeartbeat()]);
    const now = this.clock.now();
    for (const row of rows) {
      // A clean stop says what was left; after a crash, the last heartbeat is the best guess of when time stopped.
      const left = row.remainingMs ?? Math.max(0, row.dueAt - (beat ?? now));
      const list = this.restored.get(row.ruleId) ?? [];
      list.push({ ...row, dueAt: now + left });
      this.restored.set(row.ruleId, list);
    }
  }

  startHeartbeat(): void {
    const beat = (): void => {
      this.store?.heartbeat(this.clock.now()).catch((err: unknown) => this.log.warn({ err }, 'rules heartbeat not written'));
      this.heartbeat = this.clock.setTimeout(beat, HEARTBEAT_MS);
    };
    beat();
  }

  /** Restored rows of a rule that `match` accepts; they are handed over once. */
  claim(ruleId: string, match: (row: TimerRow) => boolean): TimerRow[] {
    const rows = this.restored.get(ruleId);
    if (!rows) return [];
    const taken = rows.filter(match);
    const left = rows.filter((r) => !taken.includes(r));
    if (left.length) this.restored.set(ruleId, left);
    else this.restored.delete(ruleId);
    return taken;
  }

  /** Rows nobody claimed once every rule is loaded: their rule is gone or changed. Deleted, and returned for the log. */
  dropUnclaimed(): TimerRow[] {
    const rows = [...this.restored.values()].flat();
    this.restored.clear();
    for (const row of rows) this.remove(row.id);
    return rows;
  }

  schedule(spec: ScheduleSpec, fire: () => void): DurableTimer {
    const id = spec.id ?? `${spec.kind}-${randomBytes(6).toString('hex')}`;
    const ms = Math.max(0, spec.ms);
    const row: TimerRow = { id, ruleId: spec.ruleId, kind: spec.kind, key: spec.key, dueAt: this.clock.now() + ms, data: spec.data };
    const timer = this.clock.setTimeout(() => {
      if (this.active.get(id)?.timer !== timer) return;
      this.active.delete(id);
      this.remove(id);
      fire();
    }, ms);
    this.active.set(id, { row, timer });
    this.store?.saveTimer(row).catch((err: unknown) => this.log.warn({ err, ruleId: spec.ruleId }, 'rule timer not stored; it will not survive a restart'));
    return {
      id,
      dueAt: row.dueAt,
      cancel: () => {
        const active = this.active.get(id);
        if (active?.timer !== timer) return;
        timer.cancel();
        this.active.delete(id);
        this.remove(id);
      },
    };
  }

  /**
   * Stops the clock timer but keeps the row, handed back as restored: a reloaded rule's trigger claims it again.
   * The engine deletes what the new version does not claim (dropReleased).
   */
  release(id: string): void {
    const active = this.active.get(id);
    if (!active) return;
    active.timer.cancel();
    this.active.delete(id);
    const list = this.restored.get(active.row.ruleId) ?? [];
    list.push(active.row);
    this.restored.set(active.row.ruleId, list);
  }

  /** A claimed row that will not be resumed. */
  discard(id: string): void {
    this.remove(id);
  }

  /** After a reload: rows of the rule that its new version did not claim. */
  dropReleased(ruleId: string): TimerRow[] {
    const rows = this.restored.get(ruleId) ?? [];
    this.restored.delete(ruleId);
    for (const row of rows) this.remove(row.id);
    return rows;
  }

  /** Timers of a rule still pending. */
  count(ruleId: string): number {
    let n = 0;
    for (const a of this.active.values()) if (a.row.ruleId === ruleId) n++;
    return n;
  }

  /** The rule is disabled or deleted: its timers stop and their rows go. */
  async dropRule(ruleId: string): Promise<void> {
    for (const [id, a] of this.active) {
      if (a.row.ruleId !== ruleId) continue;
      a.timer.cancel();
      this.active.delete(id);
    }
    this.restored.delete(ruleId);
    await this.store?.deleteTimers(ruleId).catch((err: unknown) => this.log.warn({ err, ruleId }, 'rule timers not deleted'));
  }

  /** Clean stop: every clock timer stops, and each row records what it had left. */
  async pause(): Promise<void> {
    this.heartbeat?.cancel();
    const now = this.clock.now();
    const left = [...this.active.values()].map((a) => ({ id: a.row.id, remainingMs: a.row.dueAt - now }));
    for (const a of this.active.values()) a.timer.cancel();
    this.active.clear();
    // Rows restored but never claimed (their rule did not load this time) keep what they had.
    for (const rows of this.restored.values()) for (const r of rows) left.push({ id: r.id, remainingMs: r.dueAt - now });
    this.restored.clear();
    await this.store?.pauseTimers(left).catch((err: unknown) => this.log.warn({ err }, 'rule timers not paused; they resume from the last heartbeat'));
  }

  private remove(id: string): void {
    this.store?.deleteTimer(id).catch((err: unknown) => this.log.warn({ err, id }, 'rule timer row not deleted'));
  }
}
