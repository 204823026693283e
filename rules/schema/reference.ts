// The key reference: every key the validator accepts, per place and kind, taken from the validator's own tables
// (the SPECS of triggers.ts, conditions.ts, actions.ts and rule.ts), so the editor's completion and its reference
// panel cannot drift from what a file may say. Served by GET /api/rules/validate/keys.

import { ACTION_KEYS } from './actions.js';
import { CONDITION_KEYS } from './conditions.js';
import { KEEP_KEYS, KEEP_STATE_KEYS, RULE_KEYS } from './rule.js';
import { TRIGGER_KEYS } from './triggers.js';
import { AVAILABILITIES, LOG_LEVELS, RULE_MODES, SUN_EVENTS } from '../types.js';

export interface RuleKeyReference {
  rule: readonly string[];
  triggers: Readonly<Record<string, readonly string[]>>;
  conditions: Readonly<Record<string, readonly string[]>>;
  actions: Readonly<Record<string, readonly string[]>>;
  keep: readonly string[];
  keepState: readonly string[];
  /** Keys with a fixed set of values, by key (`mode`) or by `kind.key` (`sun.event`). */
  values: Readonly<Record<string, readonly string[]>>;
}

export function ruleKeyReference(): RuleKeyReference {
  return {
    rule: RULE_KEYS,
    triggers: TRIGGER_KEYS,
    conditions: CONDITION_KEYS,
    actions: ACTION_KEYS,
    keep: KEEP_KEYS,
    keepState: KEEP_STATE_KEYS,
    values: {
      mode: RULE_MODES,
      'sun.event': SUN_EVENTS,
      'availability.to': AVAILABILITIES,
      'log.level': LOG_LEVELS,
      enabled: ['true', 'false'],
      catch_up: ['true', 'false'],
      retain: ['true', 'false'],
      qos: ['0', '1', '2'],
    },
  };
}
