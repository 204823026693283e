import type { Fields } from '../../shared/fields.js';
import { accessOf } from '../../shared/capability.js';
import { templatedCommand, templatedState, type FieldPlan } from '../field.js';
import { extras } from './sensor.js';
import { commandChoice, commandNumber, pickName, propertyFromTemplate, qosRetain, template, toEnum, toNumber, toText, type BuildContext } from './common.js';

// `number`, `select` and `text` (HA docs number.mqtt.markdown, select.mqtt.markdown, text.mqtt.markdown): values
// the hub sets, optionally reported back on a state topic.

function naming(r: Fields, ctx: BuildContext, tplKey = 'value_template'): string {
  return pickName(propertyFromTemplate(template(r, tplKey)), r.str('device_class'), r.str('name'), ctx.objectId);
}

export function number(r: Fields, ctx: BuildContext): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  const min = r.num('min') ?? 1;
  const max = r.num('max') ?? 100;
  const step = r.num('step') ?? 1;
  const unit = r.str('unit_of_measurement');
  if (min > max) r.fail('max', `must not be below min (${min})`);
  if (command === undefined) return [];
  return [{
    name: naming(r, ctx),
    capability: { kind: 'numeric', access: accessOf(stateTopic !== undefined, true), min, max, step, ...(unit ? { unit } : {}), ...extras(r) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toNumber) } : {}),
    command: templatedCommand(command, template(r, 'command_template'), qosRetain(r), commandNumber(min, max)),
  }];
}

export function select(r: Fields, ctx: BuildContext): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  const options = r.strList('options', true);
  if (options && options.length === 0) r.fail('options', 'must list at least one option');
  if (command === undefined || !options) return [];
  return [{
    name: naming(r, ctx),
    capability: { kind: 'enum', access: accessOf(stateTopic !== undefined, true), values: options, ...extras(r) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toEnum(options)) } : {}),
    command: templatedCommand(command, template(r, 'command_template'), qosRetain(r), commandChoice(options)),
  }];
}

export function text(r: Fields, ctx: BuildContext): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  const max = r.num('max', { integer: true, min: 0 }) ?? 255;
  if (command === undefined) return [];
  return [{
    name: naming(r, ctx),
    capability: { kind: 'text', access: accessOf(stateTopic !== undefined, true), max, ...extras(r) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toText) } : {}),
    command: templatedCommand(command, template(r, 'command_template'), qosRetain(r), (v) =>
      typeof v === 'string' && v.length <= max ? v : undefined),
  }];
}
