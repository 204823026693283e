import type { Fields } from '../../shared/fields.js';
import { accessOf, type CapabilityInfo } from '../../shared/capability.js';
import { templatedCommand, templatedState, type FieldPlan, type Reading } from '../field.js';
import type { PyValue } from '../template/index.js';
import { commandChoice, pickName, propertyFromTemplate, qosRetain, template, toEnum } from './common.js';

// A "channel" is one `<x>_state_topic`/`<x>_command_topic` pair with its templates, the shape climate, fan and
// cover use for each of their properties (HA docs climate.mqtt.markdown: mode_state_topic, mode_command_topic...).

export interface Channel {
  /** Property name when no template names one. */
  name: string;
  state?: string;
  stateTpl?: string;
  command?: string;
  commandTpl?: string;
}

/** Builds a field from a channel's topics; undefined when the config gives it no topic at all. */
export function channel(
  r: Fields,
  ch: Channel,
  capability: Omit<CapabilityInfo, 'property' | 'access'>,
  read: (v: PyValue) => Reading,
  toValue: Parameters<typeof templatedCommand>[3],
): FieldPlan | undefined {
  const stateTopic = ch.state ? r.str(ch.state) : undefined;
  const commandTopic = ch.command ? r.str(ch.command) : undefined;
  if (!stateTopic && !commandTopic) return undefined;
  const tpl = ch.stateTpl ? template(r, ch.stateTpl) : undefined;
  return {
    name: pickName(propertyFromTemplate(tpl), ch.name),
    capability: { ...capability, access: accessOf(stateTopic !== undefined, commandTopic !== undefined) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, read) } : {}),
    ...(commandTopic
      ? { command: templatedCommand(commandTopic, ch.commandTpl ? template(r, ch.commandTpl) : undefined, qosRetain(r), toValue) }
      : {}),
  };
}

export function enumChannel(r: Fields, ch: Channel, values: string[]): FieldPlan | undefined {
  return channel(r, ch, { kind: 'enum', values }, toEnum(values), commandChoice(values));
}
