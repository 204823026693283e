// The typed rule model: what rules/schema produces from a rule file after validation, and what the engine runs.
// The vocabulary is Home Assistant's (triggers, conditions, actions, trigger ids, `for`, modes) and each item
// names its kind the way HA 2024.10+ does: `trigger: mqtt`, `condition: state`, `action: publish`.
// Shapes mirror the YAML so that an error path (`triggers[0].above`) and an edit path mean the same place.
// Normalised on the way in: durations are milliseconds, a single condition becomes a list, defaults are filled.

import type { Action } from './model/actions.js';
import type { Condition } from './model/conditions.js';
import type { Trigger } from './model/triggers.js';
import type { TemplateValue } from './model/values.js';

export type { Duration, ExpressionText, TemplateText, TemplateValue } from './model/values.js';
export * from './model/triggers.js';
export * from './model/conditions.js';
export * from './model/actions.js';

export const RULE_MODES = ['single', 'restart', 'queued', 'parallel'] as const;
/** What happens when a rule fires while a run is going: HA's modes, same meaning. */
export type RuleMode = (typeof RULE_MODES)[number];

export interface Rule {
  /** Slug; defaults to the file name without `.yaml`. */
  id: string;
  /** Defaults to the id. */
  name: string;
  description?: string;
  enabled: boolean;
  mode: RuleMode;
  /** queued/parallel only: how many runs may wait or run at once (default 10, as in HA). */
  max?: number;
  /** Default for this rule's cron triggers: a run missed while the hub was down runs once at start. */
  catch_up?: boolean;
  triggers: Trigger[];
  /** All must hold when a trigger fires (checked once, right after the trigger). */
  conditions: Condition[];
  actions: Action[];
  /** A level rule: while the conditions hold, keep these states. Re-evaluated on every relevant change and at start. */
  keep?: Keep;
}

// Level rules: a keep block holds states while its conditions hold.

/** One state to hold: a device's property, or every state a filter selects (topic filter or `area:`). */
export interface KeepTarget {
  device?: string;
  filter?: string;
  property?: string;
  value: TemplateValue;
}

/** "While the house is empty, keep all lights off": applied at start and whenever something it reads changes. */
export interface Keep {
  while: Condition[];
  state: KeepTarget[];
}
