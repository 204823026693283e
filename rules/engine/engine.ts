// The rules engine: builds its parts (device index, feeds, timers, traces, rule set), wires them to the hub's bus,
// and owns their lifecycle. start() loads every rule file and attaches triggers; hubStarted() fires start triggers,
// keep blocks and cron catch-ups once the hub is up; stop() pauses durable timers (they resume at the next start),
// writes the last traces and detaches everything.

import { Webhooks } from './webhooks.js';
import fs from 'node:fs';
import type { EventBus } from '../../server/core/event-bus.js';
import { ErrorCodes, RumahError } from '../../server/core/errors.js';
import type { Logger } from '../../server/core/logger.js';
import type { Cause } from '../../server/core/model.js';
import type { Registry } from '../../server/core/registry.js';
import type { StateStore } from '../../server/core/state-store.js';
import type { Database } from '../../server/store/database.js';
import { validateRuleText } from '../schema/index.js';
import type { DryInput, Location } from '../triggers/types.js';
import type { Rule } from '../types.js';
import type { CauseTracker } from './cause-tracker.js';
import { systemClock, type Clock } from './clock.js';
import { DeviceIndex } from './devices.js';
import { conventionFactories } from '../../devices/conventions.js';
import { dryRun } from './dry-run.js';
import { messageChanges } from './dry-state.js';
import { liveEffects, type RuleCommander, type RulePublisher } from './effects.js';
import { Feeds } from './feeds.js';
import { RulesBacklog } from './backlog.js';
import { DEFAULT_LIMITS, type FloodVerdict, type GuardLimits } from './guards.js';
import { listRuleFiles, readRuleFile, watchRuleFiles } from './rule-files.js';
import { wireBus } from './wiring.js';
import { RuleSet, type RuleStatus } from './rule-set.js';
import type { RuleRuntime, RuntimeDeps } from './runtime.js';
import { cronKey, RulesStore } from './store.js';
import { DurableTimers } from './timers.js';
import { TraceRecorder, type Trace } from './trace.js';
import { systemTimeZone } from './zoned.js';

export interface RulesEngineOptions {
  /** `<data>/rules`, created when missing. Without it the engine holds only rules given with loadText (sandbox). */
  dir?: string;
  bus: EventBus;
  registry: Registry;
  states: StateStore;
  broker: RulePublisher;
  commander: RuleCommander;
  tracker: CauseTracker;
  /** Traces, durable timers and cron last runs live here; without it nothing survives a restart. */
  db?: Database;
  log: Logger;
  clock?: Clock;
  timezone?: string;
  location?: Location;
  limits?: Partial<GuardLimits>;
  /** Traces kept per rule and kind (runs, non-fires); default 25. */
  keepTraces?: number;
  traceFlushMs?: number;
  /** Traces written per flush at most (default 1,000): the newest of each rule first. */
  traceWriteBudget?: number;
  watchDebounceMs?: number;
}

const LOOP_NOTICE_MS = 60_000;
/** Rules × sources with a notice in the last minute, at most: more are logged by their traces only. */
const MAX_NOTICED = 10_000;
const TRACE_CHUNK = 100;

export class RulesEngine {
  readonly clock: Clock;
  readonly devices: DeviceIndex;
  readonly feeds: Feeds;
  /** Endpoints of the loaded rules' webhook triggers; the HTTP route hands calls to it. */
  readonly webhooks: Webhooks;
  readonly recorder: TraceRecorder;
  /** Fires waiting for a busy rule's run to end; `behind` holds the publishers (hub.ts). */
  readonly backlog = new RulesBacklog();
  readonly timers: DurableTimers;
  readonly rules: RuleSet;
  readonly timezone: string;
  private readonly store?: RulesStore;
  private readonly log: Logger;
  private readonly cron = new Map<string, number>();
  private readonly startHooks: Array<() => void> = [];
  private readonly unsubscribe: Array<() => void> = [];
  /** When a notice about a rule (and source) was last sent: at most one a minute each. */
  private readonly noticed = new Map<string, number>();
  /** Notices sent, for their ids: the engine clock may stand still (tests) and ids must differ. */
  private notices = 0;
  private started = false;
  private stopped = false;
  /** Why the rules folder cannot be used, when it cannot (the hub then runs without rules). */
  folderError?: string;
  private flushTimer?: NodeJS.Timeout;
  private flushes = 0;
  private unwatch?: () => void;

  constructor(private readonly opts: RulesEngineOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.timezone = opts.timezone ?? systemTimeZone();
    this.store = opts.db ? new RulesStore(opts.db) : undefined;
    this.devices = new DeviceIndex(opts.registry, opts.states, () => this.clock.now());
    this.feeds = new Feeds(opts.log);
    this.webhooks = new Webhooks(() => this.clock.now());
    this.recorder = new TraceRecorder(this.clock, opts.keepTraces ?? 25);
    this.recorder.onRunEnded = (t) => opts.bus.emit('ruleRun', {
      ruleId: t.ruleId, traceId: t.id, result: t.result, at: t.at, finishedAt: t.finishedAt ?? t.updatedAt,
      ...(t.reason !== undefined ? { reason: t.reason } : {}), ...(t.trigger?.description !== undefined ? { trigger: t.trigger.description } : {}),
    });
    this.timers = new DurableTimers(this.clock, this.store, opts.log);
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const effects = liveEffects({
      broker: opts.broker, commander: opts.commander, devices: this.devices, tracker: opts.tracker, bus: opts.bus, log: opts.log,
      now: () => this.clock.now(), runRule: (id, cause) => this.runRule(id, cause),
    });
    const runtimeDeps: RuntimeDeps = {
      clock: this.clock, timers: this.timers, feeds: this.feeds, devices: this.devices, effects, timezone: this.timezone,
      recorder: this.recorder, limits, log: opts.log, ...(opts.location ? { location: opts.location } : {}),
      cron: {
        last: (key) => this.cron.get(key),
        set: (key, at) => {
          this.cron.set(key, at);
          const [ruleId, triggerKey] = key.split('\n') as [string, string];
          this.store?.setCron(ruleId, triggerKey, at).catch((err: unknown) => this.log.warn({ err }, 'cron last run not stored'));
        },
      },
      atHubStart: (fn) => {
        if (!this.started) this.startHooks.push(fn);
      },
      hubStarted: () => this.started,
      webhooks: this.webhooks,
      backlog: this.backlog,
      flooded: (runtime, verdict) => this.flooded(runtime, verdict),
      looped: (runtime, reason) => this.looped(runtime, reason),
    };
    this.rules = new RuleSet({
      ...(opts.dir ? { dir: opts.dir } : {}), log: opts.log, recorder: this.recorder, runtimeDeps,
      pendingTimers: (id) => this.timers.count(id),
      forget: (id, deleted) => this.forget(id, deleted),
      reloaded: (id) => {
        for (const row of this.timers.dropReleased(id)) this.log.info({ rule: id, key: row.key }, 'a pending wait of the old version was dropped by the reload');
      },
    });
  }

  async start(): Promise<void> {
    const { bus, tracker } = this.opts;
    if (this.store) {
      await this.timers.load();
      for (const [key, at] of await this.store.loadCron()) this.cron.set(key, at);
      this.recorder.restore(await this.store.loadTraces(this.recorder.keep));
    }
    this.unsubscribe.push(...wireBus(bus, tracker, this.feeds, this.devices));

    if (this.opts.dir && this.rulesFolder(this.opts.dir)) {
      for (const file of listRuleFiles(this.opts.dir)) await this.load(file);
      this.unwatch = watchRuleFiles(this.opts.dir, this.opts.watchDebounceMs ?? 150, (file) => void this.reloadFile(file), (err) => this.log.error({ err }, 'watching the rules folder failed; hot reload is off'));
    }
    this.flushTimer = setInterval(() => void this.flush(), this.opts.traceFlushMs ?? 1000);
    this.flushTimer.unref();
    this.log.info({ rules: this.rules.size, dir: this.opts.dir }, 'rules loaded');
  }

  /** The hub is up: start triggers, keep blocks at start, cron catch-ups; timers of rules that are gone are dropped. */
  hubStarted(): void {
    if (this.started) return;
    this.started = true;
    for (const fn of this.startHooks.splice(0)) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'rule start hook failed');
      }
    }
    for (const row of this.timers.dropUnclaimed()) this.log.info({ rule: row.ruleId, kind: row.kind, key: row.key }, 'a pending rule timer was dropped: its rule is gone or disabled');
    this.timers.startHeartbeat();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unwatch?.();
    clearInterval(this.flushTimer);
    // Pause first: each timer records what it had left; then runs and triggers let go without deleting rows.
    await this.timers.pause();
    await this.rules.stopAll();
    for (const off of this.unsubscribe.splice(0)) off();
    // An aborted run writes its last word ("the hub stopped; the run resumes at the next start") from its own chain
    // of awaits, a few microtasks later: let them all settle, or the last flush stores the run as still waiting.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.flush(true);
  }

  /** Loads a rule from text without a file on disk (`rules test`). */
  loadText(file: string, text: string): Promise<void> {
    return this.rules.apply(file, text);
  }

  list(): RuleStatus[] {
    return this.rules.list();
  }

  traces(id: string, limit?: number): Trace[] {
    this.require(id);
    return this.recorder.list(id, limit);
  }

  trace(id: string, traceId: string): Trace {
    this.require(id);
    const trace = this.recorder.get(id, traceId);
    if (!trace) throw new RumahError(ErrorCodes.NOT_FOUND, `rule ${id} has no trace "${traceId}" (the last ${this.recorder.keep} of each kind are kept)`);
    return trace;
  }

  /** API "run now": the actions, conditions only when asked. */
  runNow(id: string, cause: Cause, checkConditions = false): Trace {
    const runtime = this.rules.runtime(id);
    if (!runtime) throw new RumahError(ErrorCodes.CONFLICT, `rule ${id} is not running (${this.rules.get(id)?.status.state ?? 'unknown'}): enable it or fix its file first`);
    return runtime.runNow(cause, { checkConditions }).trace;
  }

  /** Evaluate a rule (by id, or a rule text) against one input, without side effects. */
  async dryRun(ref: { id: string } | { text: string }, input: DryInput): Promise<Trace> {
    let rule: Rule | undefined;
    if ('id' in ref) {
      rule = this.require(ref.id).rule;
      if (!rule) throw new RumahError(ErrorCodes.CONFLICT, `rule ${ref.id} does not load: fix its file first`);
    } else {
      const result = validateRuleText(ref.text, 'dry-run.yaml');
      if (!result.rule) throw new RumahError(ErrorCodes.INVALID_VALUE, `the rule has ${result.errors.length} error(s): ${result.errors[0]?.message}`, { errors: result.errors });
      rule = result.rule;
    }
    const factories = { factories: conventionFactories, log: this.log, now: () => this.clock.now() };
    return dryRun(rule, input, {
      clock: this.clock, timers: this.timers, feeds: this.feeds, devices: this.devices, timezone: this.timezone,
      messageChanges: (msg) => messageChanges(msg, this.devices, factories),
    });
  }

  /** Writes the traces changed since the last time; every minute (and at stop) old ones are pruned. */
  async flush(prune = false): Promise<void> {
    if (!this.store) {
      this.recorder.drain();
      return;
    }
    try {
      // Bounded per flush: with a thousand busy rules every run would otherwise be written (each stays in its
      // rule's ring longer than a flush interval), which costs more than running them. At stop, everything.
      const traces = this.recorder.drain(prune ? Infinity : this.opts.traceWriteBudget ?? 1000);
      // In chunks: each serialises on the event loop, so 1,000 traces at once would be a ~10 ms stall for every
      // message waiting behind it; between chunks the loop serves them.
      for (let i = 0; i < traces.length; i += TRACE_CHUNK) await this.store.writeTraces(traces.slice(i, i + TRACE_CHUNK));
      if (prune || ++this.flushes % 60 === 0) await this.store.pruneTraces(this.recorder.keep);
    } catch (err) {
      this.log.warn({ err }, 'rule traces not written');
    }
  }

  private require(id: string): NonNullable<ReturnType<RuleSet['get']>> {
    const found = this.rules.get(id);
    if (!found) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${id}"`);
    return found;
  }

  /**
   * Whether the rules folder can be used; when it cannot (`rules` is a file, or unreadable), the hub starts without
   * rules and says what to do: one bad folder must not stop the house (a supervisor would restart it in a loop).
   */
  private rulesFolder(dir: string): boolean {
    try {
      fs.mkdirSync(dir, { recursive: true });
      listRuleFiles(dir);
      return true;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.folderError = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? `${dir} is not a folder: move it aside, and rules load from a new folder at the next start` : `${dir} cannot be read (${e.code ?? e.message}): fix its owner or mode`;
      this.log.error({ dir, err: e.code ?? e.message }, `rules are off: ${this.folderError}`);
      return false;
    }
  }

  /** Reads one rule file into the rule set; one that cannot be read is reported like a broken rule. */
  private async load(file: string): Promise<void> {
    let text: string | undefined;
    try {
      text = readRuleFile(this.opts.dir!, file);
    } catch (err) {
      return this.rules.unreadable(file, err as NodeJS.ErrnoException);
    }
    await this.rules.apply(file, text);
  }

  private async reloadFile(file: string): Promise<void> {
    if (this.stopped || !this.opts.dir) return;
    try {
      await this.load(file);
    } catch (err) {
      this.log.error({ err, file }, 'reloading a rule file failed');
    }
  }

  private runRule(id: string, cause: Cause): string {
    const runtime = this.rules.runtime(id);
    if (!runtime) {
      const found = this.rules.get(id);
      if (!found) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${id}"`);
      return `rule ${id} is ${found.status.state}: not run`;
    }
    const trace = runtime.runNow(cause, { description: `run by rule ${cause.id}` });
    return `started rule ${id} (trace ${trace.id}: ${trace.trace.result})`;
  }

  private async forget(id: string, deleted: boolean): Promise<void> {
    await this.timers.dropRule(id);
    for (const key of [...this.cron.keys()]) if (key.startsWith(cronKey(id, ''))) this.cron.delete(key);
    await this.store?.deleteCron(id).catch((err: unknown) => this.log.warn({ err }, 'cron rows not deleted'));
    if (deleted) await this.store?.deleteTraces(id).catch((err: unknown) => this.log.warn({ err }, 'traces not deleted'));
  }

  /** A source's run was dropped: the rule goes on for every other source. Said once a minute per rule and source. */
  private flooded(runtime: RuleRuntime, verdict: FloodVerdict): void {
    const id = runtime.rule.id;
    if (!this.firstIn(`${id}\n${verdict.source}`)) return;
    this.log.warn({ rule: id, source: verdict.source, dropped: verdict.dropped }, verdict.reason);
    this.notify('warning', id, `Rule ${runtime.rule.name}: runs from ${verdict.source} dropped`, verdict.reason);
  }

  private looped(runtime: RuleRuntime, reason: string): void {
    const id = runtime.rule.id;
    if (!this.firstIn(id)) return;
    this.log.warn({ rule: id }, reason);
    this.notify('warning', id, `Rule ${runtime.rule.name}: loop stopped`, reason);
  }

  /** True the first time in LOOP_NOTICE_MS for this key; the map forgets keys older than that. */
  private firstIn(key: string): boolean {
    const now = this.clock.now();
    if (now - (this.noticed.get(key) ?? -Infinity) < LOOP_NOTICE_MS) return false;
    if (this.noticed.size >= MAX_NOTICED) for (const [k, at] of this.noticed) if (now - at >= LOOP_NOTICE_MS) this.noticed.delete(k);
    if (this.noticed.size >= MAX_NOTICED) return false;
    this.noticed.set(key, now);
    return true;
  }

  private notify(level: 'warning' | 'error', ruleId: string, title: string, message: string): void {
    this.opts.bus.emit('notification', { id: `${ruleId}-${this.clock.now()}-${++this.notices}`, ts: this.clock.now(), level, ruleId, title, message });
  }
}
