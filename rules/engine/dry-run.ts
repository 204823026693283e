// Dry run: evaluate a rule against one message (or state change) without side effects. Every trigger says whether
// it would fire and why; the conditions are checked against the current states; the actions run with dry effects
// (what would be published, set, notified), delays and waits are described, not waited.

import { compileActions, RunAborted, RunStop, StepFailed } from '../actions/index.js';
import { compileConditions } from '../conditions/index.js';
import { isExpressionError } from '../expressions/index.js';
import { triggerKind } from '../triggers/index.js';
import type { DryInput, Vars } from '../triggers/types.js';
import type { Rule } from '../types.js';
import { show } from './describe.js';
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

export async function dryRun(rule: Rule, input: DryInput, deps: Omit<RunDeps, 'effects'>): Promise<Trace> {
  const recorder = new TraceRecorder(deps.clock);
  const trace = recorder.begin(rule.id, { result: 'running', fired: false, dryRun: true, trigger: { index: -1, kind: 'dry-run', description: describeInput(input) } });
  let fired: { index: number; id?: string; kind: string; vars: Vars; description: string } | undefined;
  rule.triggers.forEach((t, index) => {
    if (fired) return;
    const path = `triggers[${index}]`;
    const kind = triggerKind(t);
    if (!kind.test) return trace.step(path, t.trigger, `a ${t.trigger} trigger does not fire on ${input.kind === 'message' ? 'a message' : 'a state change'}`);
    try {
      const r = kind.test({ devices: deps.devices, index, ...(t.id !== undefined ? { id: t.id } : {}) }, t, input);
      if (!r.fired) return trace.step(path, t.trigger, `did not fire: ${r.reason}`);
      fired = { index, kind: t.trigger, vars: r.vars, description: r.description, ...(t.id !== undefined ? { id: t.id } : {}) };
      trace.step(path, t.trigger, `fired: ${r.description}${r.note ? ` (${r.note})` : ''}`);
    } catch (err) {
      trace.step(path, t.trigger, `failed: ${errorOf(err).message}`, errorOf(err));
    }
  });
  if (!fired) {
    trace.set('not_fired', rule.triggers.length ? 'no trigger fired' : 'the rule has no triggers');
    return trace.trace;
  }
  Object.assign(trace.trace, { fired: true, vars: traceVars(fired.vars), trigger: { index: fired.index, kind: fired.kind, description: fired.description, ...(fired.id !== undefined ? { id: fired.id } : {}) } });
  const ctx = { scope: fired.vars, devices: deps.devices, now: deps.clock.now(), timezone: deps.timezone, ...(fired.id !== undefined ? { triggerId: fired.id } : {}) };
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
  const run = new Run(rule.id, fired.vars, { kind: 'rule', id: rule.id }, trace, fired.id, { ...deps, effects: dryEffects(deps.devices) }, 'dry-run');
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
