// Conditions: what must hold when a trigger fires (checked once, right after it), and what `wait` waits for.

import type { StateValue } from '../../server/core/model.js';
import type { Duration, ExpressionText } from './values.js';

export const CONDITION_TYPES = ['state', 'numeric', 'time', 'and', 'or', 'not', 'expression', 'trigger'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface StateCondition {
  condition: 'state';
  device: string;
  property?: string;
  /** Any of these values; `on`/`off` compare by on-ness (see rules/on-off.ts). */
  state: StateValue[];
  /** The state has held at least this long. */
  for?: Duration;
}

export interface NumericCondition {
  condition: 'numeric';
  device: string;
  property?: string;
  value?: ExpressionText;
  above?: number;
  below?: number;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A time window and/or weekdays in the hub's time zone. `after` later than `before` spans midnight. */
export interface TimeCondition {
  condition: 'time';
  /** `HH:MM` or `HH:MM:SS`. */
  after?: string;
  before?: string;
  weekday?: Weekday[];
}

export interface AndCondition {
  condition: 'and';
  conditions: Condition[];
}
export interface OrCondition {
  condition: 'or';
  conditions: Condition[];
}
/** None of the conditions holds (HA's meaning). */
export interface NotCondition {
  condition: 'not';
  conditions: Condition[];
}

/** Truthy expression. In files a plain string in a condition list is this shorthand. */
export interface ExpressionCondition {
  condition: 'expression';
  expression: ExpressionText;
}

/** The run was started by the trigger with one of these ids. */
export interface TriggerCondition {
  condition: 'trigger';
  id: string[];
}

export type Condition =
  | StateCondition
  | NumericCondition
  | TimeCondition
  | AndCondition
  | OrCondition
  | NotCondition
  | ExpressionCondition
  | TriggerCondition;

