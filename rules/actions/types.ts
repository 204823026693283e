// The contract of an action kind: compiled once when the rule loads (templates parsed, nested actions and
// conditions compiled), then run many times against a RunContext. Side effects go through ctx.effects only, so a
// dry run swaps them for a recorder. Adding a kind is one file and one line in index.ts.

import type { Cause, StateValue } from '../../server/core/model.js';
import type { CompiledCondition, ConditionContext } from '../conditions/index.js';
import type { ConditionList } from '../conditions/index.js';
import type { DeviceIndex } from '../engine/devices.js';
import type { TraceHandle } from '../engine/trace.js';
import type { Scope } from '../expressions/index.js';
import type { Action, Condition } from '../types.js';

export interface PublishEffect {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface CommandResult {
  deviceId: string;
  property: string;
  topic?: string;
  payload?: string;
}

/** Everything a run can do to the world. Live: broker, DevicesApi.command, the bus; dry: a recorder. */
export interface Effects {
  readonly dry: boolean;
  publish(msg: PublishEffect, cause: Cause): Promise<void>;
  /** Through the one command path (DevicesApi.command): capability check, convention encoder, broker. */
  command(ref: string, property: string | undefined, value: StateValue, cause: Cause): Promise<CommandResult>;
  /** A dashboard notification (bus `notification`) and the webhook POST; says what happened to the webhook. */
  notify(n: { title?: string; message: string; webhook?: string; secret?: string }, ruleId: string, cause: Cause): Promise<string | undefined>;
  /** Starts another rule's actions; says which trace it got or why not. */
  runRule(ruleId: string, cause: Cause): string;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, ruleId: string): void;
}

export interface RunContext {
  readonly ruleId: string;
  readonly scope: Scope;
  /** The run's own cause (kind rule, parent: what fired the trigger): given to every publish and command. */
  readonly cause: Cause;
  readonly trace: TraceHandle;
  readonly devices: DeviceIndex;
  readonly effects: Effects;
  readonly triggerId?: string;
  now(): number;
  /** Throws RunAborted once the run is cancelled (restart mode, reload, disable, hub stop). */
  checkpoint(): void;
  /** A durable delay: a restart resumes the run at `path` with the time it had left. */
  sleep(ms: number, path: string, timerId?: string): Promise<void>;
  /** Until the condition holds or the timeout passes; durable like sleep. */
  waitFor(condition: CompiledCondition, timeoutMs: number | undefined, path: string, timerId?: string): Promise<'held' | 'timeout'>;
  conditionContext(): ConditionContext;
}

/** Where a run stopped before a restart: the delay or wait at `path`, with the time it had left. */
export interface ResumePoint {
  path: string;
  remainingMs: number;
  timerId: string;
}

export interface CompiledAction {
  readonly path: string;
  readonly kind: string;
  run(ctx: RunContext): Promise<void>;
  /** Containers and durable steps: continue at `at`, which is this step or inside it. */
  resume?(ctx: RunContext, at: ResumePoint): Promise<void>;
}

export interface SequenceLike {
  readonly path: string;
  run(ctx: RunContext, from?: ResumePoint): Promise<void>;
  contains(path: string): boolean;
}

export interface Compiler {
  sequence(list: readonly Action[], path: string): SequenceLike;
  conditions(list: readonly Condition[], path: string): ConditionList;
  condition(condition: Condition, path: string): CompiledCondition;
}

export interface ActionKind<A extends Action = Action> {
  compile(config: A, path: string, compiler: Compiler): CompiledAction;
}

/** Ends the run early and normally (a wait that timed out without continue_on_timeout). */
export class RunStop extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RunStop';
  }
}

/** The run was cancelled from outside. `keepTimers`: the hub is stopping, the run resumes after the restart. */
export class RunAborted extends Error {
  constructor(
    readonly result: 'cancelled' | 'stopped',
    readonly reason: string,
    readonly keepTimers = false,
  ) {
    super(reason);
    this.name = 'RunAborted';
  }
}

/** A step failed: the trace names it. */
export class StepFailed extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original));
    this.name = 'StepFailed';
  }

  get code(): string {
    const code = (this.original as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : 'RUMAH_ERR_RULE_STEP';
  }
}

/** `alias: text` when the action has an alias, so traces read as the user named things. */
export function label(alias: string | undefined, text: string): string {
  return alias ? `${alias}: ${text}` : text;
}
