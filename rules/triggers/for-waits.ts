// `for`: a trigger that must hold a while before it fires (state, numeric, availability). Each subject (a device
// property, a topic) has at most one wait; it is a durable timer, so a restart resumes it with the time it had
// left, provided the state still holds then (the trigger says how to check). An interruption closes the wait's
// trace with how long it had held: "`for` interrupted after 3 min 12 s: 27.4 is no longer above 28".

import { formatDuration } from '../duration.js';
import { describeCause, humanDuration } from '../engine/describe.js';
import type { DurableTimer } from '../engine/timers.js';
import type { TraceHandle } from '../engine/trace.js';
import type { Cause } from '../../server/core/model.js';
import type { Fire, TriggerContext, TriggerFire, Vars } from './types.js';

interface Waiting {
  timer: DurableTimer;
  trace: TraceHandle;
  since: number;
  event: TriggerFire;
}

interface StoredWait {
  subject: string;
  since: number;
  vars: Vars;
  cause: Cause;
  description: string;
  /** Whatever the trigger needs to check the state still holds after a restart. */
  check?: unknown;
  traceId?: string;
}

export type HoldCheck = { holds: true } | { holds: false; why: string };

export class ForWaits {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly ctx: TriggerContext,
    private readonly ms: number,
    private readonly fire: Fire,
  ) {}

  isWaiting(subject: string): boolean {
    return this.waiting.has(subject);
  }

  /** Starts waiting; `why` says what holds now ("29.1 crossed above 28"). */
  start(subject: string, event: TriggerFire, why: string, check?: unknown): void {
    const trace = this.ctx.pending(`${why}: waiting ${formatDuration(this.ms)} ('for') before firing`, event.vars);
    this.arm(subject, { ...event, trace }, this.ctx.clock.now(), this.ms, check);
  }

  /** The state no longer holds. */
  interrupt(subject: string, why: string): void {
    const w = this.waiting.get(subject);
    if (!w) return;
    this.waiting.delete(subject);
    w.timer.cancel();
    const held = humanDuration(this.ctx.clock.now() - w.since);
    w.trace.set('interrupted', `'for' interrupted after ${held}: ${why}`);
  }

  /**
   * After a restart or a reload: the waits this trigger left. `check` says whether each still holds; those that
   * do go on with the time they had left, the others are closed as interrupted.
   */
  restore(check: (subject: string, stored: unknown) => HoldCheck): void {
    const prefix = `${this.ctx.key}|`;
    const rows = this.ctx.timers.claim(this.ctx.ruleId, (r) => r.kind === 'for' && r.key.startsWith(prefix));
    const now = this.ctx.clock.now();
    for (const row of rows) {
      const data = row.data as StoredWait;
      const left = Math.max(0, row.dueAt - now);
      const result = check(data.subject, data.check);
      if (!result.holds) {
        const trace = this.ctx.pending(`resuming the 'for' of ${data.description}`, data.vars);
        trace.set('interrupted', `'for' interrupted during the restart, with ${humanDuration(left)} left: ${result.why}`);
        this.ctx.timers.discard(row.id);
        continue;
      }
      const trace = this.ctx.pending(`${data.description}: resumed after a restart with ${humanDuration(left)} of the 'for' left (cause: ${describeCause(data.cause)})`, data.vars, data.since);
      if (data.traceId) trace.trace.resumedFrom = data.traceId;
      this.arm(data.subject, { vars: data.vars, cause: data.cause, description: data.description, trace }, data.since, left, data.check, row.id);
    }
  }

  /** Detach: clock timers stop, rows stay (a reload or restart claims them again; a disable deletes them). */
  release(): void {
    const now = this.ctx.clock.now();
    for (const w of this.waiting.values()) {
      this.ctx.timers.release(w.timer.id);
      const left = humanDuration(Math.max(0, w.timer.dueAt - now));
      w.trace.set('stopped', `the trigger was detached (hub stop, reload or disable) with ${left} of the 'for' left; a restart or reload goes on with it in a new trace`);
    }
    this.waiting.clear();
  }

  private arm(subject: string, event: TriggerFire, since: number, ms: number, check: unknown, id?: string): void {
    const stored: StoredWait = { subject, since, vars: event.vars, cause: event.cause, description: event.description, check, ...(event.trace ? { traceId: event.trace.id } : {}) };
    const timer = this.ctx.timers.schedule(
      { ruleId: this.ctx.ruleId, kind: 'for', key: `${this.ctx.key}|${subject}`, ms, data: stored, id },
      () => {
        this.waiting.delete(subject);
        event.trace?.step(this.ctx.path, 'for', `held for ${formatDuration(this.ms)}`);
        this.fire(event);
      },
    );
    this.waiting.set(subject, { timer, trace: event.trace!, since, event });
  }
}
