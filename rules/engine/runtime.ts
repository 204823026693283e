// A loaded rule: its triggers attached, its conditions and actions compiled, its runs and their mode. Fires pass
// the guards (loop; flood: re-entries per source), then the conditions, then the mode decides: single refuses a second run, restart
// cancels the running one, queued waits in line, parallel runs side by side (queued/parallel up to `max`). A
// queued or parallel rule at its `max` while one of its runs is busy (not in a delay or wait) is under load, not
// at its design limit: the fire waits in the engine's backlog (backlog.ts) instead of being skipped.

import { createHash } from 'node:crypto';
import type { Logger } from '../../server/core/logger.js';
import type { Cause } from '../../server/core/model.js';
import { compileActions, RunAborted, RunStop, StepFailed, type ResumePoint, type Sequence } from '../actions/index.js';
import { compileConditions, type ConditionList } from '../conditions/index.js';
import { isExpressionError, type Scope } from '../expressions/index.js';
import { triggerKind } from '../triggers/index.js';
import type { Location, TriggerContext, TriggerFire } from '../triggers/types.js';
import type { Rule, Trigger } from '../types.js';
import { describeCause, humanDuration } from './describe.js';
import { FloodGuard, loopGuard, type FloodVerdict, type GuardLimits } from './guards.js';
import type { RulesBacklog } from './backlog.js';
import { KeepBlock } from './keep.js';
import { Run, type RunDeps, type RunSnapshot } from './run.js';
import { cronKey, type TimerRow } from './store.js';
import { traceVars, type TraceHandle, type TraceRecorder, type TraceTrigger } from './trace.js';

export interface RuntimeDeps extends RunDeps {
  recorder: TraceRecorder;
  limits: GuardLimits;
  location?: Location;
  log: Logger;
  cron: TriggerContext['cron'];
  atHubStart(fn: () => void): void;
  hubStarted(): boolean;
  webhooks: TriggerContext['webhooks'];
  backlog: RulesBacklog;
  /** The flood guard dropped a run of this rule (its source is over its share). */
  flooded(runtime: RuleRuntime, verdict: FloodVerdict): void;
  /** The loop guard stopped one of its runs. */
  looped(runtime: RuleRuntime, reason: string): void;
}

export type StopMode = 'reload' | 'disable' | 'hub-stop';

/** A guard's verdict: stopped (the loop guard: this run's chain is too long) or skipped (the flood guard). */
export interface Refusal {
  result: 'stopped' | 'skipped';
  reason: string;
}

const hash = (value: unknown): string => createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, 16);

export class RuleRuntime {
  readonly hash: string;
  readonly conditions: ConditionList;
  readonly actions: Sequence;
  /** Problems that keep a trigger from working (shown in the rule's status). */
  readonly problems: string[] = [];
  readonly counters = { evaluations: 0, fired: 0, notFired: 0, conditionFalse: 0, runs: 0, errors: 0, skipped: 0, guardStops: 0, floodDropped: 0 };
  lastTriggeredAt?: number;
  private readonly detachers: Array<() => void> = [];
  private readonly active = new Set<Run>();
  /** Fires waiting for a run to end: mode queued's line, and fires in the engine's backlog (`backlog` set). */
  private readonly queue: Array<{ trace: TraceHandle; start: () => void; backlog?: boolean }> = [];
  private readonly flood: FloodGuard;
  private readonly keep?: KeepBlock;
  private readonly log: Logger;

  constructor(
    readonly rule: Rule,
    private readonly deps: RuntimeDeps,
  ) {
    this.hash = hash(rule);
    this.conditions = compileConditions(rule.conditions, 'conditions');
    this.actions = compileActions(rule.actions, 'actions');
    this.flood = new FloodGuard(deps.limits);
    this.log = deps.log.child({ rule: rule.id });
    if (rule.keep) this.keep = new KeepBlock(rule, rule.keep, deps, this);
  }

  get activeRuns(): number {
    return this.active.size;
  }

  get queuedRuns(): number {
    return this.queue.length;
  }

  /** Attaches every trigger, resumes runs left by a restart, starts the keep block. */
  start(): void {
    this.rule.triggers.forEach((trigger, index) => {
      // The rule's catch_up is the default of its cron triggers; the key follows the effective definition.
      const config = trigger.trigger === 'cron' && trigger.catch_up === undefined && this.rule.catch_up !== undefined ? { ...trigger, catch_up: this.rule.catch_up } : trigger;
      const ctx = this.triggerContext(index, config);
      try {
        this.detachers.push(triggerKind(config).attach(ctx, config, (event) => this.fired(index, config, event)));
      } catch (err) {
        this.problems.push(`triggers[${index}]: ${(err as Error).message}`);
        this.log.error({ err }, 'trigger could not attach');
      }
    });
    for (const row of this.deps.timers.claim(this.rule.id, (r) => r.kind === 'delay' || r.kind === 'wait')) this.resume(row);
    this.keep?.start();
  }

  stop(mode: StopMode): void {
    for (const detach of this.detachers.splice(0)) detach();
    this.keep?.stop();
    const reasons: Record<StopMode, string> = {
      reload: 'the rule file changed: the run was cancelled and the new version loaded',
      disable: 'the rule was disabled or deleted',
      'hub-stop': 'the hub stopped; the run resumes at the next start',
    };
    const abort = new RunAborted(mode === 'hub-stop' ? 'stopped' : 'cancelled', reasons[mode], mode === 'hub-stop');
    for (const q of this.queue.splice(0)) {
      if (q.backlog) this.deps.backlog.leave();
      q.trace.set(abort.result, reasons[mode]);
    }
    for (const run of this.active) run.abort(abort);
  }

  /** Starts the actions now (API "run now", another rule's `run`); conditions only when asked. */
  runNow(cause: Cause, opts: { checkConditions?: boolean; description?: string } = {}): TraceHandle {
    const trigger: TraceTrigger = { index: -1, kind: 'manual', description: opts.description ?? 'run now' };
    return this.fired(-1, undefined, { vars: { trigger: { kind: 'manual' } }, cause, description: trigger.description! }, !opts.checkConditions);
  }

  /** Runs the flood guard dropped so far, per source ("device kitchen-sensor": 12). */
  get droppedBySource(): Record<string, number> {
    return this.flood.dropped();
  }

  /** A keep block or trigger is about to act for `cause`: the guards' verdict (a refusal, or undefined). */
  guard(cause: Cause): Refusal | undefined {
    const loop = loopGuard(cause, this.deps.limits);
    if (loop) {
      this.counters.guardStops++;
      this.deps.looped(this, loop);
      return { result: 'stopped', reason: loop };
    }
    const flood = this.flood.hit(cause, this.deps.clock.now());
    if (flood) {
      this.counters.floodDropped++;
      this.deps.flooded(this, flood);
      return { result: 'skipped', reason: flood.reason };
    }
    return undefined;
  }

  private fired(index: number, trigger: Trigger | undefined, event: TriggerFire, skipConditions = false): TraceHandle {
    const now = this.deps.clock.now();
    this.counters.evaluations++;
    this.counters.fired++;
    this.lastTriggeredAt = now;
    const info: TraceTrigger = trigger
      ? { index, kind: trigger.trigger, description: event.description, ...(trigger.id !== undefined ? { id: trigger.id } : {}) }
      : { index, kind: 'manual', description: event.description };
    const trace = event.trace ?? this.deps.recorder.begin(this.rule.id, { result: 'running', fired: true, trigger: info, vars: traceVars(event.vars), cause: describeCause(event.cause) });
    trace.fired();
    trace.trace.trigger = info;
    const cause: Cause = { kind: 'rule', id: this.rule.id, parent: event.cause };
    const refused = this.guard(cause);
    if (refused) {
      trace.set(refused.result, refused.reason);
      return trace;
    }
    const scope: Scope = event.vars;
    const triggerId = trigger?.id;
    if (!skipConditions && this.conditions.items.length > 0) {
      try {
        const r = this.conditions.check({ scope, devices: this.deps.devices, now, timezone: this.deps.timezone, ...(triggerId !== undefined ? { triggerId } : {}) });
        if (!r.ok) {
          this.counters.conditionFalse++;
          trace.set('condition_false', r.why);
          return trace;
        }
        trace.step('conditions', 'conditions', r.why);
      } catch (err) {
        this.failed(trace, 'conditions', 'conditions', err);
        return trace;
      }
    }
    this.admit(trace, () => this.startRun(scope, cause, trace, triggerId));
    return trace;
  }

  private admit(trace: TraceHandle, start: () => void): void {
    const { mode } = this.rule;
    const max = this.rule.max ?? 10;
    if (this.active.size === 0 || mode === 'restart' || (mode === 'parallel' && this.active.size < max)) {
      if (mode === 'restart') for (const run of this.active) run.abort(new RunAborted('cancelled', 'restarted: the rule fired again while this run was going (mode: restart)'));
      return start();
    }
    if (mode === 'queued' && this.active.size + this.queue.length < max) {
      trace.set('waiting', `queued behind ${this.active.size + this.queue.length} run(s) (mode: queued)`);
      this.queue.push({ trace, start });
      return;
    }
    const atMax = `${max} runs already ${mode === 'queued' ? 'running or queued' : 'running'} (max: ${max})`;
    const busy = mode !== 'single' && this.busy();
    if (busy && this.deps.backlog.enter()) {
      trace.set('waiting', `${atMax} and busy: waiting for one to end (the hub holds publishers while many fires wait)`);
      this.queue.push({ trace, start, backlog: true });
      return;
    }
    this.counters.skipped++;
    if (busy) {
      const reason = `${atMax} and ${this.deps.backlog.fullReason()}: this fire was skipped`;
      this.log.warn({ max }, reason);
      trace.set('skipped', reason);
      return;
    }
    trace.set('skipped', mode === 'single' ? 'already running (mode: single): this fire was skipped' : `${atMax}: this fire was skipped`);
  }

  /** A run that is sending or computing, not sleeping in a delay or wait: the rule's limit is then load. */
  private busy(): boolean {
    for (const run of this.active) if (!run.waiting) return true;
    return false;
  }

  private startRun(scope: Scope, cause: Cause, trace: TraceHandle, triggerId: string | undefined, resume?: ResumePoint): void {
    const run = new Run(this.rule.id, scope, cause, trace, triggerId, this.deps, this.hash);
    this.active.add(run);
    this.counters.runs++;
    void this.execute(run, resume).finally(() => {
      this.active.delete(run);
      const next = this.queue.shift();
      if (next) {
        if (next.backlog) this.deps.backlog.leave();
        next.trace.step('actions', 'queue', 'started after waiting in the queue');
        next.start();
      }
    });
  }

  private async execute(run: Run, resume?: ResumePoint): Promise<void> {
    run.trace.set('running');
    try {
      await this.actions.run(run, resume);
      run.trace.set('done');
    } catch (err) {
      if (err instanceof RunStop) run.trace.set('done', err.reason);
      else if (err instanceof RunAborted) run.trace.set(err.result, err.reason);
      else if (err instanceof StepFailed) this.failed(run.trace, err.path, err.kind, err.original);
      else this.failed(run.trace, 'actions', 'run', err);
    }
  }

  private failed(trace: TraceHandle, path: string, kind: string, err: unknown): void {
    this.counters.errors++;
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    trace.step(path, kind, `failed: ${message}`, { code: typeof code === 'string' ? code : 'RUMAH_ERR_RULE_STEP', message });
    trace.set('error', `${path}: ${message}`);
    // An expression error is the rule's doing (it is in the trace); anything else may be ours.
    if (isExpressionError(err) || (err as { name?: string } | null)?.name === 'RumahError') this.log.info({ path, err: message }, 'rule run failed');
    else this.log.warn({ path, err }, 'rule run failed');
  }

  /** A delay or wait left by the previous run of the hub: the run goes on from there. */
  private resume(row: TimerRow): void {
    const snap = row.data as RunSnapshot;
    const left = Math.max(0, row.dueAt - this.deps.clock.now());
    const trace = this.deps.recorder.begin(this.rule.id, {
      result: 'running', fired: true, vars: traceVars(snap.vars), cause: describeCause(snap.cause), resumedFrom: snap.traceId,
      trigger: { index: -1, kind: 'resume', description: `resumed after a restart at ${snap.path} (${row.kind}) with ${humanDuration(left)} left` },
    });
    if (snap.ruleHash !== this.hash || !this.actions.contains(snap.path)) {
      this.deps.timers.discard(row.id);
      trace.set('cancelled', 'the rule changed while the hub was down: the interrupted run was dropped');
      return;
    }
    this.startRun(snap.vars, snap.cause, trace, snap.triggerId, { path: snap.path, remainingMs: left, timerId: row.id });
  }

  private triggerContext(index: number, trigger: Trigger): TriggerContext {
    const { deps } = this;
    const path = `triggers[${index}]`;
    const info: TraceTrigger = { index, kind: trigger.trigger, ...(trigger.id !== undefined ? { id: trigger.id } : {}) };
    return {
      ruleId: this.rule.id, index, path, key: `${index}:${hash(trigger)}`, clock: deps.clock, devices: deps.devices, feeds: deps.feeds,
      timers: deps.timers, timezone: deps.timezone, location: deps.location, log: this.log, webhooks: deps.webhooks,
      // Cron last runs are stored per rule and trigger key.
      cron: { last: (key) => deps.cron.last(cronKey(this.rule.id, key)), set: (key, at) => deps.cron.set(cronKey(this.rule.id, key), at) },
      ...(trigger.id !== undefined ? { id: trigger.id } : {}),
      miss: (reason, vars, error) => {
        this.counters.evaluations++;
        this.counters.notFired++;
        const trace = deps.recorder.begin(this.rule.id, { result: error ? 'error' : 'not_fired', reason, fired: false, trigger: info, ...(vars ? { vars: traceVars(vars) } : {}) });
        if (error) trace.step(path, trigger.trigger, `failed: ${error.message}`, error);
      },
      pending: (reason, vars, at) => {
        this.counters.evaluations++;
        return deps.recorder.begin(this.rule.id, { result: 'pending', reason, fired: false, trigger: info, ...(vars ? { vars: traceVars(vars) } : {}), ...(at !== undefined ? { at } : {}) });
      },
      atHubStart: (fn) => deps.atHubStart(fn),
      problem: (message) => this.problems.push(`${path}: ${message}`),
    };
  }
}
