// The contract of a trigger kind (STYLE.md): `attach(ctx, config, fire) -> detach`. A trigger listens to what it
// needs through ctx.feeds, decides, and either fires or records why it did not (ctx.miss): every evaluation leaves
// a trace. Adding a kind is one file and one line in index.ts.

import type { Logger } from '../../server/core/logger.js';
import type { Cause } from '../../server/core/model.js';
import type { Clock } from '../engine/clock.js';
import type { DeviceIndex } from '../engine/devices.js';
import type { Feeds } from '../engine/feeds.js';
import type { DurableTimers } from '../engine/timers.js';
import type { TraceHandle } from '../engine/trace.js';
import type { Webhooks } from '../engine/webhooks.js';
import type { ExprValue } from '../expressions/index.js';
import type { Trigger } from '../types.js';

export type Vars = Record<string, ExprValue>;

export interface TriggerFire {
  /** Names the run's expressions see: always `trigger`, plus what the kind provides (topic, payload, value...). */
  vars: Vars;
  /** What made it fire (a device report, a rule's publish, a schedule): the parent of the run's cause. */
  cause: Cause;
  description: string;
  /** The trace of the evaluation that started a `for`: the run continues it. */
  trace?: TraceHandle;
}

export type Fire = (event: TriggerFire) => void;
export type Detach = () => void;

export interface Location {
  latitude: number;
  longitude: number;
}

export interface TriggerContext {
  readonly ruleId: string;
  readonly index: number;
  readonly id?: string;
  /** `triggers[1]`. */
  readonly path: string;
  /** Stable while this trigger's definition is unchanged: durable timers and cron last runs are stored under it. */
  readonly key: string;
  readonly clock: Clock;
  readonly devices: DeviceIndex;
  readonly feeds: Feeds;
  readonly timers: DurableTimers;
  /** The hub's time zone (location.timezone, else the system's). */
  readonly timezone: string;
  readonly location?: Location;
  readonly log: Logger;
  /** Endpoints of webhook triggers (`POST /api/webhooks/<id>`). */
  readonly webhooks: Pick<Webhooks, 'register'>;
  /** Cron last runs, read at start from SQLite. */
  readonly cron: { last(key: string): number | undefined; set(key: string, at: number): void };
  /** Records an evaluation that did not fire and why; with `error`, an evaluation that failed. */
  miss(reason: string, vars?: Vars, error?: { code: string; message: string }): void;
  /** Opens the trace of an evaluation that now waits (a `for`); hand it to `fire` or close it as interrupted. */
  pending(reason: string, vars?: Vars, at?: number): TraceHandle;
  /** Runs `fn` once the hub has started (start triggers, cron catch-up); never for a rule loaded later. */
  atHubStart(fn: () => void): void;
  /** A problem that keeps this trigger from working (a sun trigger without a location): shown in the rule's status. */
  problem(message: string): void;
}

export interface TriggerKind<T extends Trigger = Trigger> {
  attach(ctx: TriggerContext, config: T, fire: Fire): Detach;
  /** Dry run: would this message fire the trigger? No timers, no state kept. Absent: never by a message. */
  test?(ctx: DryTriggerContext, config: T, input: DryInput): DryResult;
}

/** What a dry run feeds a rule: a message, or a device's state change. */
export type DryInput =
  | { kind: 'message'; topic: string; payload: string }
  | { kind: 'state'; device: string; property?: string; value: ExprValue; previous?: ExprValue };

export interface DryTriggerContext {
  readonly devices: DeviceIndex;
  readonly index: number;
  readonly id?: string;
}

export type DryResult = { fired: true; vars: Vars; description: string; note?: string } | { fired: false; reason: string };

/** The `trigger` variable every kind sets: kind, id, index, and the kind's own fields. */
export function triggerVar(ctx: { index: number; id?: string }, kind: string, fields: Record<string, ExprValue>): ExprValue {
  const out: Record<string, ExprValue> = { kind, index: ctx.index };
  if (ctx.id !== undefined) out.id = ctx.id;
  for (const k in fields) if (fields[k] !== undefined) out[k] = fields[k];
  return out as ExprValue;
}
