import type { Fields } from '../../shared/fields.js';
import type { FieldPlan } from '../field.js';
import type { BuildContext } from './common.js';
import { climate } from './climate.js';
import { cover } from './cover.js';
import { fan } from './fan.js';
import { light } from './light.js';
import { number, select, text } from './select.js';
import { binarySensor, sensor } from './sensor.js';
import { button, lock, switchComponent } from './switch.js';
import { deviceTrigger, eventEntity } from './trigger.js';

// The HA components (platforms) rumah maps, one builder each. A builder reads an expanded config and returns
// the entity's fields; it reports problems through the reader, never by throwing.

export type ComponentBuilder = (r: Fields, ctx: BuildContext) => FieldPlan[];

export const BUILDERS: Readonly<Record<string, ComponentBuilder>> = {
  sensor,
  binary_sensor: binarySensor,
  switch: switchComponent,
  lock,
  button,
  light,
  number,
  select,
  text,
  climate,
  fan,
  cover,
  device_automation: deviceTrigger,
  event: eventEntity,
};

/** Components HA knows that rumah does not map yet: refused with a reason that says so. */
export const KNOWN_UNSUPPORTED = new Set([
  'alarm_control_panel', 'camera', 'device_tracker', 'humidifier', 'image', 'lawn_mower', 'notify', 'scene', 'siren',
  'tag', 'update', 'vacuum', 'valve', 'water_heater',
]);

export function builderFor(component: string): ComponentBuilder | string {
  if (Object.hasOwn(BUILDERS, component)) return BUILDERS[component]!;
  if (KNOWN_UNSUPPORTED.has(component)) return `component "${component}" is not supported by rumah yet`;
  return `unknown component "${component}"`;
}
