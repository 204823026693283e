import type { Fields } from '../../shared/fields.js';
import type { FieldPlan } from '../field.js';
import { channel, enumChannel } from './channel.js';
import { commandNumber, toNumber } from './common.js';

// `climate` basics (HA docs climate.mqtt.markdown): HVAC mode, target temperature, current temperature,
// running action, fan and preset modes. Each is a `<x>_state_topic`/`<x>_command_topic` pair with its templates.
// Dual set points (temperature_low/high), swing, humidity and aux heat are not mapped yet.

const ACTIONS = ['off', 'heating', 'cooling', 'drying', 'idle', 'fan', 'preheating', 'defrosting'];

export function climate(r: Fields): FieldPlan[] {
  const unit = r.str('temperature_unit') === 'F' ? '°F' : '°C';
  const min = r.num('min_temp') ?? (unit === '°F' ? 45 : 7);
  const max = r.num('max_temp') ?? (unit === '°F' ? 95 : 35);
  const step = r.num('temp_step') ?? r.num('precision') ?? 1;
  const fields = [
    enumChannel(r, { name: 'mode', state: 'mode_state_topic', stateTpl: 'mode_state_template', command: 'mode_command_topic', commandTpl: 'mode_command_template' },
      r.strList('modes') ?? ['auto', 'off', 'cool', 'heat', 'dry', 'fan_only']),
    channel(r,
      { name: 'target_temperature', state: 'temperature_state_topic', stateTpl: 'temperature_state_template', command: 'temperature_command_topic', commandTpl: 'temperature_command_template' },
      { kind: 'numeric', unit, min, max, step }, toNumber, commandNumber(min, max)),
    channel(r, { name: 'current_temperature', state: 'current_temperature_topic', stateTpl: 'current_temperature_template' },
      { kind: 'numeric', unit, deviceClass: 'temperature' }, toNumber, () => undefined),
    enumChannel(r, { name: 'action', state: 'action_topic', stateTpl: 'action_template' }, ACTIONS),
    enumChannel(r, { name: 'fan_mode', state: 'fan_mode_state_topic', stateTpl: 'fan_mode_state_template', command: 'fan_mode_command_topic', commandTpl: 'fan_mode_command_template' },
      r.strList('fan_modes') ?? ['auto', 'low', 'medium', 'high']),
    enumChannel(r, { name: 'preset_mode', state: 'preset_mode_state_topic', stateTpl: 'preset_mode_value_template', command: 'preset_mode_command_topic', commandTpl: 'preset_mode_command_template' },
      r.strList('preset_modes') ?? []),
  ];
  const present = fields.filter((f): f is FieldPlan => f !== undefined);
  if (present.length === 0) r.fail('mode_command_topic', 'a climate entity needs at least one state or command topic');
  return present;
}

