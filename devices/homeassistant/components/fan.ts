import type { Fields } from '../../shared/fields.js';
import { accessOf } from '../../shared/capability.js';
import { templatedCommand, templatedState, type FieldPlan } from '../field.js';
import { channel, enumChannel } from './channel.js';
import { binaryWord, commandNumber, pickName, propertyFromTemplate, qosRetain, template, toBinary, toNumber, word } from './common.js';

// `fan` basics (HA docs fan.mqtt.markdown): on/off, speed, preset mode, oscillation. The speed is kept in the
// device's own range (speed_range_min..max; HA converts it to a percentage, we keep what the device speaks).

export function fan(r: Fields): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'state_value_template');
  const on = word(r, 'payload_on', 'ON');
  const off = word(r, 'payload_off', 'OFF');
  if (command === undefined) return [];
  const fields: (FieldPlan | undefined)[] = [{
    name: pickName(propertyFromTemplate(tpl), 'state'),
    capability: { kind: 'binary', access: accessOf(stateTopic !== undefined, true), on, off },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toBinary(on, off)) } : {}),
    command: templatedCommand(command, template(r, 'command_template'), qosRetain(r), binaryWord(on, off)),
  }];
  const max = r.num('speed_range_max', { min: 1 }) ?? 100;
  fields.push(channel(r,
    { name: 'percentage', state: 'percentage_state_topic', stateTpl: 'percentage_value_template', command: 'percentage_command_topic', commandTpl: 'percentage_command_template' },
    { kind: 'numeric', min: 0, max, step: 1, ...(max === 100 ? { unit: '%' } : {}) }, toNumber, commandNumber(0, max)));
  fields.push(enumChannel(r,
    { name: 'preset_mode', state: 'preset_mode_state_topic', stateTpl: 'preset_mode_value_template', command: 'preset_mode_command_topic', commandTpl: 'preset_mode_command_template' },
    r.strList('preset_modes') ?? []));
  const oscOn = word(r, 'payload_oscillation_on', 'oscillate_on');
  const oscOff = word(r, 'payload_oscillation_off', 'oscillate_off');
  fields.push(channel(r,
    { name: 'oscillation', state: 'oscillation_state_topic', stateTpl: 'oscillation_value_template', command: 'oscillation_command_topic', commandTpl: 'oscillation_command_template' },
    { kind: 'binary', on: oscOn, off: oscOff }, toBinary(oscOn, oscOff), binaryWord(oscOn, oscOff)));
  return fields.filter((f): f is FieldPlan => f !== undefined);
}
