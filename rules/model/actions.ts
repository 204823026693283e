// Actions: what a rule does. Each names its kind with `action:`.

import type { Condition } from './conditions.js';
import type { Duration, TemplateText, TemplateValue } from './values.js';

export const ACTION_TYPES = ['publish', 'set', 'delay', 'wait', 'choose', 'if', 'notify', 'run', 'log'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

interface ActionBase {
  /** Shown in traces instead of the generated description. */
  alias?: string;
}

export interface PublishAction extends ActionBase {
  action: 'publish';
  /** A template; after rendering it must not contain wildcards. */
  topic: TemplateText;
  payload?: TemplateValue;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** Command a device property through the same function the dashboard and API use. */
export interface SetAction extends ActionBase {
  action: 'set';
  /** Device id or its topic; a template. */
  device: TemplateText;
  property?: string;
  value: TemplateValue;
}

export interface DelayAction extends ActionBase {
  action: 'delay';
  duration: Duration;
}

/** Wait until a condition holds (checked now and on every change), up to `timeout`. */
export interface WaitAction extends ActionBase {
  action: 'wait';
  /** A condition; in files also a plain expression string. */
  for: Condition;
  timeout?: Duration;
  /** When the timeout passes: go on (true) or stop the run (false, the default). */
  continue_on_timeout?: boolean;
}

export interface ChooseOption {
  conditions: Condition[];
  actions: Action[];
}
/** The first option whose conditions all hold runs; otherwise `default`. */
export interface ChooseAction extends ActionBase {
  action: 'choose';
  options: ChooseOption[];
  default?: Action[];
}

export interface IfAction extends ActionBase {
  action: 'if';
  conditions: Condition[];
  then: Action[];
  else?: Action[];
}

/** A dashboard notification, and a POST to the webhook when given. */
export interface NotifyAction extends ActionBase {
  action: 'notify';
  message: TemplateText;
  title?: TemplateText;
  /** http(s) URL. */
  webhook?: string;
  /** With `webhook`: the POST is signed with it (X-Rumah-Timestamp, X-Rumah-Signature; docs/rules.md). */
  secret?: string;
}

/** Run another rule's actions (its conditions are not checked, as HA's automation.trigger with skip_condition). */
export interface RunAction extends ActionBase {
  action: 'run';
  rule: string;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export interface LogAction extends ActionBase {
  action: 'log';
  message: TemplateText;
  level?: (typeof LOG_LEVELS)[number];
}

export type Action =
  | PublishAction
  | SetAction
  | DelayAction
  | WaitAction
  | ChooseAction
  | IfAction
  | NotifyAction
  | RunAction
  | LogAction;

