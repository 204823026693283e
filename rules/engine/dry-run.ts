// Dry run: evaluate a rule against one message (or state change) without side effects. Every trigger says whether
// it would fire and why; the input is applied first (dry-state.ts), so the conditions and actions see the states
// as they would be after it; the actions run with dry effects (what would be published, set, notified), delays and
// waits are described, not waited.

import { compileActions, RunAborted, RunStop, StepFailed } from '../actions/index.js';
import { compileConditions } from '../conditions/index.js';
import { isExpressionError } from '../expressions/index.js';
import { triggerKind } from '../triggers/index.js';
import type { DryInput, Vars } from '../triggers/types.js';
import type { StateValue } from '../../server/core/model.js';
import type { Rule, Trigger } from '../types.js';
import { show } from './describe.js';
import type { DryChange } from './dry-state.js';
import { dryEffects } from './effects.js';
import { Run, type RunDeps } from './run.js';
import { traceVars, TraceRecorder, type Trace } from './trace.js';

function describeInput(input: DryInput): string {
  return input.kind === 'message' ? `dry run: message on ${input.topic}: ${show(input.payload)}` : `dry run: ${input.device}${input.property ? `.${input.property}` : ''} = ${show(input.value)}`;
}

function errorOf(err: unknown): { code: string; message: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'RUMAH_ERR_RULE_STEP', message: err instanceof Error ? err.message : String(err) };
}

/** What a trigger kind reads in a dry run: the message itself, or the state changes the input makes. */
function reads(t: Trigger): 'message' | 'state' | undefined {
  if (t.trigger === 'mqtt') return 'message';
  if (t.trigger === 'numeric') return t.topic !== undefined ? 'message' : 'state';
  if (t.trigger === 'state') return 'state';
  return undefined;
}

/** The state changes the input makes: a message as the conventions read it, a state change as given. */
function changesOf(input: DryInput, deps: DryRunDeps): DryChange[] {
  if (input.kind === 'message') return deps.messageChanges(input);
  const device = deps.devices.resolve(input.device);
  const property = device ? input.property ?? deps.devices.mainProperty(device) : undefined;
  if (!device || property === undefined) return [];
  const previous = input.previous !== undefined ? input.previous : deps.devices.value(device.id, property);
  return JSON.stringify(previous) === JSON.stringify(input.value) ? [] : [{ deviceId: device.id, property, value: input.value as StateValue, previous: previous as StateValue | undefined }];
}

export interface DryRunDeps extends Omit<RunDeps, 'effects'> {
  /** The state changes a message would make (dry-state.ts): applied before anything is evaluated. */
  messageChanges(msg: { topic: string; payload: string }): DryChange[];
}

/**
 * The input is applied first, as the hub applies a report before rules hear of it: triggers compare with the states
 * from before it (a crossing needs the previous value), conditions and actions see the states after it.
 */
export async function dryRun(rule: Rule, input: DryInput, deps: DryRunDeps): Promise<Trace> {
  const recorder = new TraceRecorder(deps.clock);
  const trace = recorder.begin(rule.id, { result: 'running', fired: false, dryRun: true, trigger: { index: -1, kind: 'dry-run', description: describeInput(input) } });
  const changes = changesOf(input, deps);
  trace.step('input', 'apply', changes.length
    ? `applied first: ${changes.map((c) => `${c.deviceId}.${c.property} ${show(c.previous)} → ${show(c.value)}`).join(', ')}`
    : input.kind === 'message' ? `the message changes no device's state (no known device reports on ${input.topic}, or it repeats the current values)` : 'the state is already that value: nothing changes');
  const stateInputs: DryInput[] = input.kind === 'state' ? [input] : changes.map((c) => ({ kind: 'state', device: c.deviceId, property: c.property, value: c.value, previous: c.previous }));
  let fired: { index: number; id?: string; kind: string; vars: Vars; description: string } | undefined;
  const why: string[] = [];
  rule.triggers.forEach((t, index) => {
    if (fired) return;
    const path = `triggers[${index}]`;
    const kind = triggerKind(t);
    const wants = reads(t);
    const refuse = (reason: string): void => {
      why.push(`${path} (${t.trigger}${t.id !== undefined ? ` ${t.id}` : ''}): ${reason}`);
      trace.step(path, t.trigger, `did not fire: ${reason}`);
    };
    if (!kind.test || !wants) return refuse(`a ${t.trigger} trigger does not fire on ${input.kind === 'message' ? 'a message' : 'a state change'}`);
    const inputs = wants === 'message' ? (input.kind === 'message' ? [input] : []) : stateInputs;
    if (inputs.length === 0) {
      return refuse(wants === 'message' ? 'it reads messages on a topic: give a message, not a state change' : `it fires on a device's state change, and the message on ${(input as { topic: string }).topic} changes no device's state`);
    }
    const reasons: string[] = [];
    for (const one of inputs) {
      try {
        const r = kind.test({ devices: deps.devices, index, ...(t.id !== undefined ? { id: t.id } : {}) }, t, one);
        if (!r.fired) {
          if (!reasons.includes(r.reason)) reasons.push(r.reason);
          continue;
        }
        fired = { index, kind: t.trigger, vars: r.vars, description: r.description, ...(t.id !== undefined ? { id: t.id } : {}) };
        trace.step(path, t.trigger, `fired: ${r.description}${r.note ? ` (${r.note})` : ''}`);
        return;
      } catch (err) {
        trace.step(path, t.trigger, `failed: ${errorOf(err).message}`, errorOf(err));
        why.push(`${path} (${t.trigger}): failed: ${errorOf(err).message}`);
        return;
      }
    }
    refuse(reasons.join('; '));
  });
  if (!fired) {
    trace.set('not_fired', rule.triggers.length ? `no trigger fired: ${why.join(' · ')}` : 'the rule has no triggers');
    return trace.trace;
  }
  // Conditions and actions see the states with the input applied.
  const devices = deps.devices.withChanges(changes);
  Object.assign(trace.trace, { fired: true, vars: traceVars(fired.vars), trigger: { index: fired.index, kind: fired.kind, description: fired.description, ...(fired.id !== undefined ? { id: fired.id } : {}) } });
  const ctx = { scope: fired.vars, devices, now: deps.clock.now(), timezone: deps.timezone, ...(fired.id !== undefined ? { triggerId: fired.id } : {}) };
  try {
    const r = compileConditions(rule.conditions, 'conditions').check(ctx);
    if (!r.ok) {
      trace.set('condition_false', r.why);
      return trace.trace;
    }
    if (rule.conditions.length) trace.step('conditions', 'conditions', r.why);
  } catch (err) {
    trace.step('conditions', 'conditions', `failed: ${errorOf(err).message}`, errorOf(err));
    trace.set('error', `conditions: ${errorOf(err).message}`);
    return trace.trace;
  }
  const run = new Run(rule.id, fired.vars, { kind: 'rule', id: rule.id }, trace, fired.id, { ...deps, devices, effects: dryEffects(devices) }, 'dry-run');
  try {
    await compileActions(rule.actions).run(run);
    trace.set('done');
  } catch (err) {
    if (err instanceof RunStop) trace.set('done', err.reason);
    else if (err instanceof RunAborted) trace.set(err.result, err.reason);
    else {
      const at = err instanceof StepFailed ? err.path : 'actions';
      const e = errorOf(err instanceof StepFailed ? err.original : err);
      trace.step(at, err instanceof StepFailed ? err.kind : 'run', `failed: ${e.message}`, e);
      trace.set('error', `${at}: ${e.message}`);
      if (!isExpressionError(err) && !(err instanceof StepFailed)) throw err;
    }
  }
  return trace.trace;
}
