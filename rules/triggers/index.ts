// The trigger kinds: one file each, one line here.

import type { Trigger, TriggerType } from '../types.js';
import { availabilityTrigger } from './availability.js';
import { cronTrigger } from './cron.js';
import { eventTrigger } from './event.js';
import { mqttTrigger } from './mqtt.js';
import { numericTrigger } from './numeric.js';
import { startTrigger } from './start.js';
import { stateTrigger } from './state.js';
import { sunTrigger } from './sun.js';
import { webhookTrigger } from './webhook.js';
import type { TriggerKind } from './types.js';

export const TRIGGER_KINDS: { [K in TriggerType]: TriggerKind<Extract<Trigger, { trigger: K }>> } = {
  mqtt: mqttTrigger,
  state: stateTrigger,
  numeric: numericTrigger,
  cron: cronTrigger,
  sun: sunTrigger,
  event: eventTrigger,
  availability: availabilityTrigger,
  start: startTrigger,
  webhook: webhookTrigger,
};

export function triggerKind(trigger: Trigger): TriggerKind {
  return TRIGGER_KINDS[trigger.trigger] as TriggerKind;
}
