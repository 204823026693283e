import type { Fields } from '../../shared/fields.js';
import { accessOf } from '../../shared/capability.js';
import { SKIP, isBlank, templatedCommand, templatedState, type FieldPlan } from '../field.js';
import { pyStr, type PyValue } from '../template/index.js';
import { extras } from './sensor.js';
import { binaryWord, pickName, propertyFromTemplate, qosRetain, template, toBinary, word, type BuildContext } from './common.js';

// `switch`, `lock` and `button` (HA docs switch.mqtt.markdown, lock.mqtt.markdown, button.mqtt.markdown).

export function switchComponent(r: Fields): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  const cmdTpl = template(r, 'command_template');
  const on = word(r, 'payload_on', 'ON');
  const off = word(r, 'payload_off', 'OFF');
  // The state may use other words than the command (state_on/state_off default to the payloads).
  const stateOn = word(r, 'state_on', on);
  const stateOff = word(r, 'state_off', off);
  if (command === undefined) return [];
  return [{
    name: pickName(propertyFromTemplate(tpl), 'state'),
    capability: { kind: 'binary', access: accessOf(stateTopic !== undefined, true), on, off, ...extras(r) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toBinary(stateOn, stateOff)) } : {}),
    command: templatedCommand(command, cmdTpl, qosRetain(r), binaryWord(on, off)),
  }];
}

/** A lock is a binary capability where true means locked. */
export function lock(r: Fields): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const tpl = template(r, 'value_template');
  const cmdTpl = template(r, 'command_template');
  const lockWord = word(r, 'payload_lock', 'LOCK');
  const unlockWord = word(r, 'payload_unlock', 'UNLOCK');
  const locked = word(r, 'state_locked', 'LOCKED');
  const unlocked = word(r, 'state_unlocked', 'UNLOCKED');
  if (command === undefined) return [];
  // locking / unlocking / jammed are transitions, not a new value of the binary: they are skipped.
  const read = (v: PyValue) => {
    if (isBlank(v)) return SKIP;
    const s = pyStr(v);
    return s === locked ? { value: true } : s === unlocked ? { value: false } : SKIP;
  };
  return [{
    name: pickName(propertyFromTemplate(tpl), 'lock'),
    capability: { kind: 'binary', access: accessOf(stateTopic !== undefined, true), on: lockWord, off: unlockWord, ...extras(r) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, read) } : {}),
    command: templatedCommand(command, cmdTpl, qosRetain(r), binaryWord(lockWord, unlockWord)),
  }];
}

/** A button has no state: pressing it is an event the hub sends, whatever the value. */
export function button(r: Fields, ctx: BuildContext): FieldPlan[] {
  const command = r.str('command_topic', true);
  const cmdTpl = template(r, 'command_template');
  const press = word(r, 'payload_press', 'PRESS');
  if (command === undefined) return [];
  return [{
    name: pickName(r.str('device_class'), r.str('name'), ctx.objectId, 'press'),
    capability: { kind: 'event', access: accessOf(false, true), values: [press], ...extras(r) },
    command: templatedCommand(command, cmdTpl, qosRetain(r), () => press),
  }];
}
