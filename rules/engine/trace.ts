// Traces: every evaluation of a rule's triggers leaves one, also those that did not fire, with the reason. A run's
// trace grows step by step (per-step timestamps). The last N of each rule are kept in memory (two rings: runs and
// non-fires, so a chatty sensor's "threshold not crossed" cannot push the last real run out) and written to SQLite
// in batches by TraceStore; nothing on the message path waits for the disk.

import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

export const TRACE_RESULTS = [
  'not_fired', 'pending', 'interrupted', 'condition_false', 'skipped', 'running', 'waiting', 'done', 'error', 'stopped', 'cancelled',
] as const;
/**
 * not_fired: a trigger looked at something and did not fire (why in `reason`); pending: a trigger's `for` is
 * waiting; interrupted: that `for` was broken; condition_false: fired, conditions said no (values in `reason`);
 * skipped: fired while the mode refused another run; running/waiting: a run is going (waiting: in a delay or wait);
 * done; error: a step failed; stopped: a guard stopped it (loop, flood); cancelled: restart mode, reload, disable.
 */
export type TraceResult = (typeof TRACE_RESULTS)[number];

export interface TraceStep {
  at: number;
  /** `actions[0].then[1]`, `conditions[0]`, `triggers[1]`. */
  path: string;
  kind: string;
  message: string;
  error?: { code: string; message: string };
}

export interface TraceTrigger {
  index: number;
  id?: string;
  kind: string;
  description?: string;
}

export interface Trace {
  id: string;
  ruleId: string;
  /** When the evaluation started. */
  at: number;
  updatedAt: number;
  finishedAt?: number;
  result: TraceResult;
  reason?: string;
  trigger?: TraceTrigger;
  /** What the expressions of the run saw (payloads cut to a few KB). */
  vars?: Record<string, unknown>;
  /** The chain of causes, newest first: "device kitchen-sensor" or "rule a ← device x". */
  cause?: string;
  steps: TraceStep[];
  /** The trigger fired (a run, conditions false or skipped), as opposed to an evaluation that did not fire. */
  fired: boolean;
  dryRun?: boolean;
  /** A run resumed after a restart continues the trace of the run that started it. */
  resumedFrom?: string;
}

const FINAL: ReadonlySet<TraceResult> = new Set(['not_fired', 'interrupted', 'condition_false', 'skipped', 'done', 'error', 'stopped', 'cancelled']);
const MAX_STEPS = 200;

export function isFinal(result: TraceResult): boolean {
  return FINAL.has(result);
}

/** A trace being written. Every change marks it for the next batch to SQLite. */
export class TraceHandle {
  constructor(
    readonly trace: Trace,
    private readonly recorder: TraceRecorder,
  ) {}

  get id(): string {
    return this.trace.id;
  }

  step(path: string, kind: string, message: string, error?: { code: string; message: string }): void {
    const steps = this.trace.steps;
    if (steps.length >= MAX_STEPS) {
      if (steps.length === MAX_STEPS) steps.push({ at: this.recorder.now(), path, kind: 'trace', message: `more than ${MAX_STEPS} steps: the rest is not recorded` });
      return;
    }
    steps.push({ at: this.recorder.now(), path, kind, message, ...(error ? { error } : {}) });
    this.touch();
  }

  set(result: TraceResult, reason?: string): void {
    const wasFinal = isFinal(this.trace.result);
    this.trace.result = result;
    if (reason !== undefined) this.trace.reason = reason;
    if (isFinal(result)) this.trace.finishedAt = this.recorder.now();
    this.touch();
    if (!wasFinal && isFinal(result)) this.recorder.ended(this.trace);
  }

  /** Marks the trace as fired (a `for` that completed: the pending evaluation becomes the run). */
  fired(): void {
    if (this.trace.fired) return;
    this.trace.fired = true;
    this.recorder.promote(this.trace);
  }

  private touch(): void {
    this.trace.updatedAt = this.recorder.now();
    this.recorder.dirty(this.trace);
  }
}

interface Rings {
  runs: Trace[];
  misses: Trace[];
}

export class TraceRecorder {
  private readonly rings = new Map<string, Rings>();
  private readonly changed = new Set<Trace>();
  /** Traces in a ring (a run still going may already have been pushed out of it by newer ones). A plain Set, not
   *  a WeakSet: entries leave it when they leave their ring, and weak tables are extra work for every GC. */
  private readonly kept = new Set<Trace>();
  private readonly boot = randomBytes(3).toString('hex');
  private seq = 0;
  /** Told of every trace that began or changed: the dashboard's live timeline (server/realtime/rule-events.ts). */
  private readonly watchers = new Set<(trace: Trace) => void>();

  constructor(
    private readonly clock: Clock,
    /** Traces kept per rule, of each kind (runs, non-fires). */
    readonly keep = 25,
  ) {}

  now(): number {
    return this.clock.now();
  }

  /** Told of every fired run that ends (not dry runs): the engine puts it on the bus for the logbook. */
  onRunEnded?: (trace: Trace) => void;

  /** @internal A trace reached a final result. */
  ended(trace: Trace): void {
    if (trace.fired && !trace.dryRun) this.onRunEnded?.(trace);
  }

  begin(ruleId: string, init: Omit<Trace, 'id' | 'ruleId' | 'at' | 'updatedAt' | 'steps'> & { steps?: TraceStep[]; at?: number }): TraceHandle {
    const now = this.clock.now();
    const trace = Object.assign({ id: `${this.boot}-${(this.seq++).toString(36).padStart(6, '0')}`, ruleId, at: now, updatedAt: now }, init) as Trace;
    trace.steps ??= [];
    if (isFinal(trace.result)) trace.finishedAt = now;
    this.push(trace);
    if (isFinal(trace.result)) this.ended(trace);
    return new TraceHandle(trace, this);
  }

  /** Traces read back from SQLite at start: the newest first per kind, as they were. */
  restore(traces: Trace[]): void {
    for (const trace of [...traces].sort((a, b) => a.at - b.at)) {
      // Left unfinished by a hub that did not stop cleanly: it will not finish now.
      if (!isFinal(trace.result)) Object.assign(trace, { result: 'stopped', reason: `${trace.reason ? `${trace.reason}; ` : ''}the hub stopped before this finished` });
      this.push(trace, false);
    }
  }

  /** Newest first; both rings merged. */
  list(ruleId: string, limit = this.keep * 2): Trace[] {
    const rings = this.rings.get(ruleId);
    if (!rings) return [];
    return [...rings.runs, ...rings.misses].sort((a, b) => b.at - a.at || (b.id > a.id ? 1 : -1)).slice(0, limit);
  }

  get(ruleId: string, id: string): Trace | undefined {
    const rings = this.rings.get(ruleId);
    return rings?.runs.find((t) => t.id === id) ?? rings?.misses.find((t) => t.id === id);
  }

  lastRun(ruleId: string): Trace | undefined {
    const runs = this.rings.get(ruleId)?.runs;
    return runs?.[runs.length - 1];
  }

  /**
   * Traces changed since the last call, at most `limit`: what is written to SQLite next. Over the limit, each rule
   * gets its newest first, in turns, so one busy rule cannot crowd out the others; the others are not written
   * (they stay in memory, where the API reads them; SQLite then holds an older selection for that rule).
   */
  drain(limit = Infinity): Trace[] {
    const all = [...this.changed];
    this.changed.clear();
    if (all.length <= limit) return all;
    const byRule = new Map<string, Trace[]>();
    for (const t of all) {
      const list = byRule.get(t.ruleId);
      if (list) list.push(t);
      else byRule.set(t.ruleId, [t]);
    }
    // Each list is in the order the traces changed; the newest are at the end.
    const lists = [...byRule.values()];
    const out: Trace[] = [];
    for (let took = true; took && out.length < limit; ) {
      took = false;
      for (const list of lists) {
        const t = list.pop();
        if (!t) continue;
        out.push(t);
        took = true;
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  forget(ruleId: string): void {
    const rings = this.rings.get(ruleId);
    if (rings) {
      for (const t of [...rings.runs, ...rings.misses]) {
        this.changed.delete(t);
        this.kept.delete(t);
      }
    }
    this.rings.delete(ruleId);
  }

  /** Calls `fn` with each trace that begins or changes (not dry runs); returns the unsubscribe. */
  watch(fn: (trace: Trace) => void): () => void {
    this.watchers.add(fn);
    return () => void this.watchers.delete(fn);
  }

  /** @internal Only a trace still kept is written: one pushed out of its ring would be pruned at once. */
  dirty(trace: Trace): void {
    if (this.kept.has(trace)) this.changed.add(trace);
    for (const fn of this.watchers) fn(trace);
  }

  /** @internal A non-fire that turned into a run moves to the runs ring. */
  promote(trace: Trace): void {
    const rings = this.rings.get(trace.ruleId);
    if (!rings) return;
    const i = rings.misses.indexOf(trace);
    if (i >= 0) rings.misses.splice(i, 1);
    this.pushTo(rings.runs, trace);
    this.changed.add(trace);
    for (const fn of this.watchers) fn(trace);
  }

  private push(trace: Trace, mark = true): void {
    if (trace.dryRun) return;
    let rings = this.rings.get(trace.ruleId);
    if (!rings) {
      rings = { runs: [], misses: [] };
      this.rings.set(trace.ruleId, rings);
    }
    this.pushTo(trace.fired ? rings.runs : rings.misses, trace);
    if (mark) this.changed.add(trace);
    if (mark) for (const fn of this.watchers) fn(trace);
  }

  private pushTo(ring: Trace[], trace: Trace): void {
    ring.push(trace);
    this.kept.add(trace);
    if (ring.length <= this.keep) return;
    // Pushed out before it was written: it would be pruned at once, so it is not written at all.
    for (const old of ring.splice(0, ring.length - this.keep)) {
      this.changed.delete(old);
      this.kept.delete(old);
    }
  }
}

/**
 * Scope values for a trace: JSON-safe and bounded, so a 256 KB payload does not fill memory and the traces table.
 * The `trigger` variable is left out: it repeats the other names and the trace's own trigger field. The common case
 * (short texts, small JSON) is a shallow copy: traces of a thousand busy rules stay in memory a while, and every
 * object they hold is work for the garbage collector.
 */
export function traceVars(vars: Record<string, unknown>, maxText = 2048): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in vars) {
    if (key === 'trigger') continue;
    const v = vars[key];
    out[key] = small(v, maxText) ? v : cut(v, 0, maxText);
  }
  return out;
}

function small(v: unknown, maxText: number): boolean {
  if (typeof v === 'string') return v.length <= maxText;
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.length <= 50 && v.every((x) => x === null || typeof x !== 'object');
  const keys = Object.keys(v);
  return keys.length <= 50 && keys.every((k) => {
    const x = (v as Record<string, unknown>)[k];
    return x === null || typeof x !== 'object' ? typeof x !== 'string' || x.length <= maxText : false;
  });
}

function cut(v: unknown, depth: number, maxText: number): unknown {
  if (typeof v === 'string') return v.length > maxText ? `${v.slice(0, maxText)}… (${v.length} characters)` : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth > 4) return '…';
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => cut(x, depth + 1, maxText));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v).slice(0, 50)) out[k] = cut(x, depth + 1, maxText);
  return out;
}
