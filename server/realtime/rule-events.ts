// Rule statuses and evaluations to the dashboard, live: the rules list and a rule's timeline (issue 18 item 7).
// Coalesced like device deltas (coalescer.ts): whatever happens in one interval goes in one batch, each rule and
// each trace once with its latest value. A rule that evaluates 1,000 times a second still costs one `rules` batch
// and (for a page that watches it) one `ruleTraces` batch of at most ruleTracesPerBatch per interval.

import type { RulesEngine } from '../../rules/engine/engine.js';
import { ruleTracesPerBatch, type RuleStatusView, type RulesUpdate, type RuleTracesUpdate, type TraceView } from './protocol.js';

/** The rules engine as this module needs it (rules/engine/engine.ts, rule-set.ts, trace.ts). */
export interface RuleSource {
  list(): RuleStatusView[];
  status(id: string): RuleStatusView | undefined;
  traces(id: string, limit: number): TraceView[];
  /** Each trace that began or changed. */
  watchTraces(fn: (trace: TraceView) => void): () => void;
  /** A rule file was loaded, saved, enabled or removed. */
  watchRules(fn: () => void): () => void;
}

export interface RuleEventsOptions {
  source: RuleSource;
  intervalMs: number;
  /** Whether any socket watches the rules list / this rule's timeline: nothing is collected for no one. */
  watchingList(): boolean;
  watchingRule(id: string): boolean;
  sendRules(update: RulesUpdate): void;
  sendTraces(update: RuleTracesUpdate): void;
}

export class RuleEvents {
  /** Rules whose status may have changed since the last batch (a trace of theirs moved). */
  private readonly dirtyRules = new Set<string>();
  /** Per watched rule, its traces that changed since the last batch, by id (the object itself: sent as it is then). */
  private readonly dirtyTraces = new Map<string, Map<string, TraceView>>();
  private structure = false;
  private timer?: NodeJS.Timeout;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly opts: RuleEventsOptions) {}

  start(): void {
    const { source } = this.opts;
    this.offs.push(
      source.watchTraces((trace) => this.traceChanged(trace)),
      source.watchRules(() => {
        if (!this.opts.watchingList()) return;
        this.structure = true;
        this.schedule();
      }),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** What a socket that subscribes to the list gets at once. */
  fullList(): RulesUpdate {
    return { full: true, rules: this.opts.source.list() };
  }

  /** What a socket that subscribes to a rule's timeline gets at once: its newest evaluations. */
  fullTraces(ruleId: string): RuleTracesUpdate {
    return { ruleId, full: true, traces: this.opts.source.traces(ruleId, ruleTracesPerBatch) };
  }

  private traceChanged(trace: TraceView): void {
    let wanted = false;
    if (this.opts.watchingList()) {
      this.dirtyRules.add(trace.ruleId);
      wanted = true;
    }
    if (this.opts.watchingRule(trace.ruleId)) {
      let traces = this.dirtyTraces.get(trace.ruleId);
      if (!traces) this.dirtyTraces.set(trace.ruleId, (traces = new Map()));
      // Re-inserted so the map stays in the order of the last change; the oldest change goes past the bound.
      traces.delete(trace.id);
      traces.set(trace.id, trace);
      if (traces.size > ruleTracesPerBatch) traces.delete(traces.keys().next().value!);
      wanted = true;
    }
    if (wanted) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    const { source } = this.opts;
    if (this.structure) {
      this.opts.sendRules(this.fullList());
    } else if (this.dirtyRules.size > 0) {
      const rules = [...this.dirtyRules].flatMap((id) => source.status(id) ?? []);
      if (rules.length > 0) this.opts.sendRules({ full: false, rules });
    }
    this.structure = false;
    this.dirtyRules.clear();
    for (const [ruleId, traces] of this.dirtyTraces) {
      // Newest first, as the page lists them.
      this.opts.sendTraces({ ruleId, full: false, traces: [...traces.values()].sort((a, b) => b.at - a.at) });
    }
    this.dirtyTraces.clear();
  }
}

/** The rules engine as a RuleSource (its statuses and traces are supersets of the views sent). */
export function engineRuleSource(engine: RulesEngine): RuleSource {
  return {
    list: () => engine.list(),
    status: (id) => engine.rules.get(id)?.status,
    traces: (id, limit) => (engine.rules.get(id) ? engine.traces(id, limit) : []),
    watchTraces: (fn) => engine.recorder.watch(fn),
    watchRules: (fn) => engine.rules.watch(fn),
  };
}
