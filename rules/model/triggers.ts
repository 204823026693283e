// Triggers: what starts a rule. Each names its kind with `trigger:` (HA 2024.10+ spelling).

import type { StateValue } from '../../server/core/model.js';
import type { Duration, ExpressionText } from './values.js';

export const TRIGGER_TYPES = ['mqtt', 'state', 'numeric', 'cron', 'sun', 'event', 'availability', 'start', 'webhook'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

interface TriggerBase {
  /** Named in traces and matched by `condition: trigger`; unique within the rule. */
  id?: string;
}

/** A message on a topic. `{name}` levels bind variables; `payload` must equal, `match` must be truthy. */
export interface MqttTrigger extends TriggerBase {
  trigger: 'mqtt';
  /** A topic filter with `+`, `#` and named levels `{floor}`. */
  topic: string;
  /** The payload must be exactly this text. */
  payload?: string;
  /** An expression over `topic`, `payload`, `value`, `value_json` and the named levels; must be truthy. */
  match?: ExpressionText;
}

/**
 * The devices a device-related trigger listens to (state, event, availability, numeric): exactly one of `device`
 * (a device id, alias or the topic it reports on) or `topic` (a filter over the devices' topics: `+`, `#`,
 * `{name}` levels bound as variables).
 */
interface DeviceAddress {
  device?: string;
  topic?: string;
}

/** A device property changed (only real changes), optionally from/to given values and held `for` a while. */
export interface StateTrigger extends TriggerBase, DeviceAddress {
  trigger: 'state';
  /** Omitted: any property of the device. */
  property?: string;
  from?: StateValue[];
  to?: StateValue[];
  for?: Duration;
}

/**
 * A number crosses a threshold: fires when the value goes from outside to inside the range (`above` < v < `below`),
 * not when it is already inside at load. `hysteresis`: the value must leave the range by this much to re-arm.
 */
export interface NumericTrigger extends TriggerBase {
  trigger: 'numeric';
  /** One of device (a device's property) or topic (any message, payload read as a number). */
  device?: string;
  property?: string;
  topic?: string;
  /** An expression giving the number, e.g. `value_json.temperature` for a JSON payload. */
  value?: ExpressionText;
  above?: number;
  below?: number;
  hysteresis?: number;
  for?: Duration;
}

/** A schedule in node-cron syntax (5 fields, or 6 with seconds first). */
export interface CronTrigger extends TriggerBase {
  trigger: 'cron';
  expression: string;
  /** IANA zone, e.g. Europe/Amsterdam; default: the hub's. */
  timezone?: string;
  /** Overrides the rule's catch_up. */
  catch_up?: boolean;
}

export const SUN_EVENTS = ['sunrise', 'sunset'] as const;
export interface SunTrigger extends TriggerBase {
  trigger: 'sun';
  event: (typeof SUN_EVENTS)[number];
  /** Signed: -30m is half an hour before. */
  offset?: Duration;
}

/** An event capability fired (a button press); events are never stored as state. */
export interface EventTrigger extends TriggerBase, DeviceAddress {
  trigger: 'event';
  property?: string;
  /** Only this value (e.g. `single`, `double`). */
  value?: StateValue;
}

// `stale`: silent for longer than its usual reporting interval (server/core/staleness.ts).
export const AVAILABILITIES = ['online', 'offline', 'stale'] as const;
export interface AvailabilityTrigger extends TriggerBase, DeviceAddress {
  trigger: 'availability';
  /** Omitted: any change. */
  to?: (typeof AVAILABILITIES)[number];
  for?: Duration;
}

/** The hub started (or the rule was loaded at start). */
export interface StartTrigger extends TriggerBase {
  trigger: 'start';
}

/**
 * Another system POSTed to `/api/webhooks/<webhook_id>` with the secret (as a bearer token, or signing the body).
 * The run sees `body` (JSON when it parses, else text) and `content_type`.
 */
export interface WebhookTrigger extends TriggerBase {
  trigger: 'webhook';
  webhook_id: string;
  /** At least 16 characters; shared with the caller. */
  secret: string;
}

export type Trigger =
  | WebhookTrigger
  | MqttTrigger
  | StateTrigger
  | NumericTrigger
  | CronTrigger
  | SunTrigger
  | EventTrigger
  | AvailabilityTrigger
  | StartTrigger;

