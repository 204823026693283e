import type { Fields } from '../../shared/fields.js';
import { accessOf } from '../../shared/capability.js';
import { SKIP, isBlank, templatedCommand, templatedState, type FieldPlan } from '../field.js';
import { pyStr, type PyValue } from '../template/index.js';
import { channel } from './channel.js';
import { commandNumber, pickName, propertyFromTemplate, qosRetain, template, toNumber, word } from './common.js';

// `cover` basics (HA docs cover.mqtt.markdown): the movement state as an enum the hub can set to open, closed or
// stopped, and the position. Tilt is not mapped yet.

const STATES = ['open', 'opening', 'closed', 'closing', 'stopped'] as const;

export function cover(r: Fields): FieldPlan[] {
  const command = r.str('command_topic');
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  // The device's words for each state (state_open...), read back to our canonical five.
  const words = new Map<string, string>(STATES.map((s) => [word(r, `state_${s}`, s), s]));
  // A `null` payload_stop means the cover cannot stop (HA docs): then "stopped" is not a command.
  const payloads: Record<string, string | undefined> = {
    open: r.raw('payload_open') === null ? undefined : word(r, 'payload_open', 'OPEN'),
    closed: r.raw('payload_close') === null ? undefined : word(r, 'payload_close', 'CLOSE'),
    stopped: r.raw('payload_stop') === null ? undefined : word(r, 'payload_stop', 'STOP'),
  };
  const aliases: Record<string, string> = { close: 'closed', stop: 'stopped' };
  const read = (v: PyValue) => {
    if (isBlank(v)) return SKIP;
    const s = words.get(pyStr(v));
    return s ? { value: s } : { problem: `${JSON.stringify(pyStr(v)).slice(0, 40)} is not a cover state` };
  };
  const fields: (FieldPlan | undefined)[] = [];
  if (command || stateTopic) {
    fields.push({
      name: pickName(propertyFromTemplate(tpl), 'state'),
      capability: { kind: 'enum', access: accessOf(stateTopic !== undefined, command !== undefined), values: [...STATES] },
      ...(stateTopic ? { state: templatedState(stateTopic, tpl, read) } : {}),
      ...(command ? {
        command: templatedCommand(command, undefined, qosRetain(r), (v) => {
          const s = typeof v === 'string' ? (Object.hasOwn(aliases, v) ? aliases[v] : v) : undefined;
          return s === undefined || !Object.hasOwn(payloads, s) ? undefined : payloads[s];
        }),
      } : {}),
    });
  }
  const open = r.num('position_open') ?? 100;
  const closed = r.num('position_closed') ?? 0;
  const [min, max] = open > closed ? [closed, open] : [open, closed];
  fields.push(channel(r,
    { name: 'position', state: 'position_topic', stateTpl: 'position_template', command: 'set_position_topic', commandTpl: 'set_position_template' },
    { kind: 'numeric', min, max, step: 1 }, toNumber, commandNumber(min, max)));
  const present = fields.filter((f): f is FieldPlan => f !== undefined);
  if (present.length === 0) r.fail('command_topic', 'a cover needs a command, state, position or set_position topic');
  return present;
}
