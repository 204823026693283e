// One run of a rule's actions: the RunContext the actions see. Delays and waits are durable timers that carry a
// snapshot of the run (its variables, cause, trigger id, the rule's hash and where it is), so a restart can resume
// it. A run cancelled from outside (restart mode, reload, disable) rejects its pending wait; a hub stop keeps the
// timer rows so the run resumes at the next start.

import type { Cause } from '../../server/core/model.js';
import { MAX_DURATION_MS } from '../duration.js';
import type { CompiledCondition, ConditionContext } from '../conditions/index.js';
import type { Scope } from '../expressions/index.js';
import { RunAborted, type Effects, type RunContext } from '../actions/types.js';
import type { Clock, ClockTimer } from './clock.js';
import type { DeviceIndex } from './devices.js';
import type { Feeds } from './feeds.js';
import type { DurableTimers } from './timers.js';
import type { TraceHandle } from './trace.js';
import type { TimerKind } from './store.js';

export interface RunDeps {
  clock: Clock;
  timers: DurableTimers;
  feeds: Feeds;
  devices: DeviceIndex;
  effects: Effects;
  timezone: string;
}

/** What a durable delay or wait stores to resume the run after a restart. */
export interface RunSnapshot {
  traceId: string;
  vars: Scope;
  cause: Cause;
  triggerId?: string;
  ruleHash: string;
  startedAt: number;
  path: string;
  kind: TimerKind;
}

/** A time-dependent wait (a time window, a state `for`, now()) is checked again this often. */
const RECHECK_MS = 1000;

export class Run implements RunContext {
  readonly startedAt: number;
  /** In a delay or wait the rule asked for (not busy): a limit these runs fill is the rule's design, not load. */
  waiting = false;
  private aborted?: RunAborted;
  private readonly cleanups = new Set<() => void>();

  constructor(
    readonly ruleId: string,
    readonly scope: Scope,
    readonly cause: Cause,
    readonly trace: TraceHandle,
    readonly triggerId: string | undefined,
    private readonly deps: RunDeps,
    private readonly ruleHash: string,
  ) {
    this.startedAt = deps.clock.now();
  }

  get devices(): DeviceIndex {
    return this.deps.devices;
  }

  get effects(): Effects {
    return this.deps.effects;
  }

  get isAborted(): boolean {
    return this.aborted !== undefined;
  }

  now(): number {
    return this.deps.clock.now();
  }

  checkpoint(): void {
    if (this.aborted) throw this.aborted;
  }

  abort(reason: RunAborted): void {
    if (this.aborted) return;
    this.aborted = reason;
    for (const cleanup of [...this.cleanups]) cleanup();
    this.cleanups.clear();
  }

  conditionContext(): ConditionContext {
    return { scope: this.scope, devices: this.deps.devices, now: this.deps.clock.now(), timezone: this.deps.timezone, ...(this.triggerId !== undefined ? { triggerId: this.triggerId } : {}) };
  }

  sleep(ms: number, path: string, timerId?: string): Promise<void> {
    this.checkpoint();
    return new Promise<void>((resolve, reject) => {
      this.waiting = true;
      this.trace.set('waiting');
      const cleanup = (): void => {
        if (!this.aborted!.keepTimers) timer.cancel();
        reject(this.aborted);
      };
      const timer = this.deps.timers.schedule({ ruleId: this.ruleId, kind: 'delay', key: path, ms, data: this.snapshot(path, 'delay'), id: timerId }, () => {
        this.cleanups.delete(cleanup);
        this.waiting = false;
        this.trace.set('running');
        resolve();
      });
      this.cleanups.add(cleanup);
    });
  }

  waitFor(condition: CompiledCondition, timeoutMs: number | undefined, path: string, timerId?: string): Promise<'held' | 'timeout'> {
    this.checkpoint();
    if (condition.check(this.conditionContext()).ok) {
      // A restored wait whose condition now holds: its row goes.
      if (timerId) this.deps.timers.discard(timerId);
      return Promise.resolve('held');
    }
    return new Promise((resolve, reject) => {
      this.waiting = true;
      this.trace.set('waiting');
      let settled = false;
      let tick: ClockTimer | undefined;
      const finish = (): void => {
        settled = true;
        unsubscribe();
        tick?.cancel();
        this.cleanups.delete(cleanup);
        this.waiting = false;
        this.trace.set('running');
      };
      const cleanup = (): void => {
        finish();
        if (!this.aborted!.keepTimers) timer.cancel();
        reject(this.aborted);
      };
      const recheck = (): void => {
        if (settled) return;
        try {
          if (!condition.check(this.conditionContext()).ok) return;
          timer.cancel();
          finish();
          resolve('held');
        } catch (err) {
          timer.cancel();
          finish();
          reject(err);
        }
      };
      // No timeout: still a row (a year away), so the wait itself survives a restart.
      const timer = this.deps.timers.schedule(
        { ruleId: this.ruleId, kind: 'wait', key: path, ms: timeoutMs ?? MAX_DURATION_MS, data: this.snapshot(path, 'wait'), id: timerId },
        () => {
          if (settled) return;
          finish();
          resolve('timeout');
        },
      );
      const unsubscribe = this.deps.feeds.anyStateChange(recheck);
      if (condition.timeDependent) {
        const loop = (): void => {
          tick = this.deps.clock.setTimeout(() => {
            recheck();
            if (!settled) loop();
          }, RECHECK_MS);
        };
        loop();
      }
      this.cleanups.add(cleanup);
    });
  }

  private snapshot(path: string, kind: TimerKind): RunSnapshot {
    return {
      traceId: this.trace.id, vars: this.scope, cause: this.cause, ruleHash: this.ruleHash, startedAt: this.startedAt, path, kind,
      ...(this.triggerId !== undefined ? { triggerId: this.triggerId } : {}),
    };
  }
}
