// Level rules: `keep` holds states while its conditions hold ("while the house is empty, keep all lights off").
// It is evaluated at start and again after every change it could depend on (a device its conditions read or one
// of its targets), coalesced so a burst of changes costs one evaluation. A target not in the wanted state is
// commanded through the one command path; the same command is not repeated for 10 s while the device has not
// confirmed it, so a device that ignores commands is not hammered.

import type { Cause, Device, StateValue } from '../../server/core/model.js';
import type { StateChange } from '../../server/core/events.js';
import { compileConditions, type ConditionList } from '../conditions/index.js';
import { compileTemplateValue, type CompiledTemplateValue } from '../expressions/index.js';
import { valueMatches } from '../triggers/values.js';
import type { Keep, Rule } from '../types.js';
import type { ClockTimer } from './clock.js';
import { describeCause, show } from './describe.js';
import type { RuleRuntime, RuntimeDeps } from './runtime.js';

const REPEAT_MS = 10_000;
const TIME_RECHECK_MS = 60_000;

interface Target {
  device?: string;
  filter?: string;
  property?: string;
  value: CompiledTemplateValue;
}

export class KeepBlock {
  private readonly conditions: ConditionList;
  private readonly targets: Target[];
  private readonly sent = new Map<string, { value: string; at: number }>();
  private unsubscribe?: () => void;
  private tick?: ClockTimer;
  private scheduled?: NodeJS.Immediate;
  private pendingCause: Cause = { kind: 'restore', id: 'start' };
  private held?: boolean;
  private live = false;

  constructor(
    private readonly rule: Rule,
    keep: Keep,
    private readonly deps: RuntimeDeps,
    private readonly runtime: RuleRuntime,
  ) {
    this.conditions = compileConditions(keep.while, 'keep.while');
    this.targets = keep.state.map((t) => ({ ...(t.device ? { device: t.device } : {}), ...(t.filter ? { filter: t.filter } : {}), ...(t.property ? { property: t.property } : {}), value: compileTemplateValue(t.value) }));
  }

  start(): void {
    this.live = true;
    this.unsubscribe = this.deps.feeds.anyStateChange((change, cause) => {
      if (this.relevant(change)) this.schedule(cause);
    });
    if (this.conditions.timeDependent) {
      const loop = (): void => {
        this.tick = this.deps.clock.setTimeout(() => {
          this.schedule({ kind: 'schedule', id: 'keep' });
          loop();
        }, TIME_RECHECK_MS);
      };
      loop();
    }
    // At start, so the wanted state holds even when the hub starts in the middle of it.
    if (this.deps.hubStarted()) this.schedule({ kind: 'rule', id: this.rule.id });
    else this.deps.atHubStart(() => this.schedule({ kind: 'restore', id: 'start' }));
  }

  stop(): void {
    this.live = false;
    this.unsubscribe?.();
    this.tick?.cancel();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private relevant(change: StateChange): boolean {
    const reads = this.conditions.reads;
    if (reads.any) return true;
    const device = this.deps.devices.get(change.deviceId);
    const is = (ref: string): boolean => ref === change.deviceId || ref === device?.topic || this.deps.devices.resolve(ref)?.id === change.deviceId;
    if (reads.devices.some(is)) return true;
    const filters = [...reads.filters, ...this.targets.flatMap((t) => (t.filter ? [t.filter] : []))];
    if (filters.some((f) => this.deps.devices.select(f).some((d) => d.id === change.deviceId))) return true;
    return this.targets.some((t) => t.device !== undefined && is(t.device));
  }

  private schedule(cause: Cause): void {
    this.pendingCause = cause;
    if (this.scheduled || !this.live) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      if (this.live) this.evaluate(this.pendingCause);
    });
  }

  private evaluate(cause: Cause): void {
    const { deps, rule } = this;
    const info = { index: -1, kind: 'keep', description: 'keep: re-evaluated' };
    let verdict;
    try {
      verdict = this.conditions.check({ scope: {}, devices: deps.devices, now: deps.clock.now(), timezone: deps.timezone });
    } catch (err) {
      const message = (err as Error).message;
      deps.recorder.begin(rule.id, { result: 'error', reason: `keep.while: ${message}`, fired: false, trigger: info });
      return;
    }
    if (!verdict.ok) {
      if (this.held !== false) deps.recorder.begin(rule.id, { result: 'not_fired', reason: `keep: ${verdict.why}; nothing is kept`, fired: false, trigger: info });
      this.held = false;
      return;
    }
    this.held = true;
    const wanted = this.wanted();
    if (wanted.length === 0) return;
    const runCause: Cause = { kind: 'rule', id: rule.id, parent: cause };
    const trace = deps.recorder.begin(rule.id, { result: 'running', fired: true, trigger: info, cause: describeCause(cause) });
    trace.step('keep.while', 'conditions', verdict.why);
    const refused = this.runtime.guard(runCause);
    if (refused) return trace.set(refused.result, refused.reason);
    const now = deps.clock.now();
    void Promise.all(
      wanted.map(async ({ device, property, value, current, path }) => {
        this.sent.set(`${device.id}.${property}`, { value: JSON.stringify(value), at: now });
        try {
          const out = await deps.effects.command(device.id, property, value, runCause);
          trace.step(path, 'set', `kept ${device.id}.${property} at ${show(value)} (it was ${show(current)}; sent ${show(out.payload)} to ${out.topic})`);
        } catch (err) {
          trace.step(path, 'set', `failed: ${(err as Error).message}`, { code: (err as { code?: string }).code ?? 'RUMAH_ERR_RULE_STEP', message: (err as Error).message });
          throw err;
        }
      }),
    ).then(
      () => trace.set('done'),
      (err: Error) => trace.set('error', `keep: ${err.message}`),
    );
  }

  /** The targets not in their wanted state (and not just commanded to it). */
  private wanted(): Array<{ device: Device; property: string; value: StateValue; current: StateValue | undefined; path: string }> {
    const out = [];
    const now = this.deps.clock.now();
    for (const [i, target] of this.targets.entries()) {
      const devices = target.device ? [this.deps.devices.resolve(target.device)].filter((d): d is Device => d !== undefined) : this.deps.devices.select(target.filter!);
      for (const device of devices) {
        const property = target.property ?? this.deps.devices.mainProperty(device);
        if (property === undefined) continue;
        const current = this.deps.devices.value(device.id, property);
        let value: StateValue;
        try {
          value = target.value.render({ device: device.id, property }, this.deps.devices);
        } catch {
          continue;
        }
        if (valueMatches(current, value, device.capabilities.find((c) => c.property === property))) continue;
        const last = this.sent.get(`${device.id}.${property}`);
        if (last && last.value === JSON.stringify(value) && now - last.at < REPEAT_MS) continue;
        out.push({ device, property, value, current, path: `keep.state[${i}]` });
      }
    }
    return out;
  }
}
