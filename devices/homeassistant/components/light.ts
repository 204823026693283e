import type { StateValue } from '../../../server/core/model.js';
import type { Fields } from '../../shared/fields.js';
import { accessOf, numberFromReport } from '../../shared/capability.js';
import { SKIP, templatedCommand, templatedState, type CommandOut, type FieldPlan, type Reading, type StateIn } from '../field.js';
import { isObject } from '../../shared/payload.js';
import { binaryWord, commandNumber, pickName, propertyFromTemplate, qosRetain, template, toBinary, toNumber, word } from './common.js';

// `light` (HA docs light.mqtt.markdown) in its default and JSON schemas: on/off, brightness and colour
// temperature. Colour (rgb, hs, xy), effects and white are not mapped yet; the template schema is refused.

export function light(r: Fields): FieldPlan[] {
  const schema = r.str('schema') ?? 'default';
  if (schema === 'json') return jsonLight(r);
  if (schema === 'default' || schema === 'basic') return defaultLight(r);
  r.fail('schema', `light schema "${schema}" is not supported (use default or json)`);
  return [];
}

function defaultLight(r: Fields): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const on = word(r, 'payload_on', 'ON');
  const off = word(r, 'payload_off', 'OFF');
  const stateTpl = template(r, 'state_value_template');
  const opts = qosRetain(r);
  if (command === undefined) return [];
  const fields: FieldPlan[] = [{
    name: pickName(propertyFromTemplate(stateTpl), 'state'),
    capability: { kind: 'binary', access: accessOf(stateTopic !== undefined, true), on, off },
    ...(stateTopic ? { state: templatedState(stateTopic, stateTpl, toBinary(on, off)) } : {}),
    command: templatedCommand(command, undefined, opts, binaryWord(on, off)),
  }];
  const scale = r.num('brightness_scale', { min: 1 }) ?? 255;
  const bri = numericChannel(r, 'brightness', 0, scale, opts);
  if (bri) fields.push(bri);
  const minMireds = r.num('min_mireds') ?? 153;
  const maxMireds = r.num('max_mireds') ?? 500;
  const ct = numericChannel(r, 'color_temp', minMireds, maxMireds, opts, 'mired');
  if (ct) fields.push(ct);
  return fields;
}

/** brightness_state_topic + brightness_value_template, brightness_command_topic + brightness_command_template... */
function numericChannel(r: Fields, key: string, min: number, max: number, opts: Pick<CommandOut, 'qos' | 'retain'>, unit?: string): FieldPlan | undefined {
  const stateTopic = r.str(`${key}_state_topic`);
  const commandTopic = r.str(`${key}_command_topic`);
  if (!stateTopic && !commandTopic) return undefined;
  const tpl = template(r, `${key}_value_template`);
  return {
    name: pickName(propertyFromTemplate(tpl), key),
    capability: { kind: 'numeric', access: accessOf(stateTopic !== undefined, commandTopic !== undefined), min, max, step: 1, ...(unit ? { unit } : {}) },
    ...(stateTopic ? { state: templatedState(stateTopic, tpl, toNumber) } : {}),
    ...(commandTopic ? { command: templatedCommand(commandTopic, template(r, `${key}_command_template`), opts, commandNumber(min, max)) } : {}),
  };
}

/** JSON schema: state and command are one JSON object, `{"state": "ON", "brightness": 255}`. */
function jsonLight(r: Fields): FieldPlan[] {
  const command = r.str('command_topic', true);
  const stateTopic = r.str('state_topic');
  const opts = qosRetain(r);
  const scale = r.num('brightness_scale', { min: 1 }) ?? 255;
  const modes = r.strList('supported_color_modes') ?? [];
  if (command === undefined) return [];
  const reported = stateTopic !== undefined;
  const key = (k: string, read: (v: unknown) => Reading): StateIn | undefined =>
    stateTopic ? { topic: stateTopic, read: (p) => (isObject(p.json) && p.json[k] !== undefined ? read(p.json[k]) : SKIP) } : undefined;
  const send = (toBody: (v: StateValue) => Record<string, StateValue> | undefined): CommandOut => ({
    topic: command, ...opts,
    encode: (v) => {
      const body = toBody(v);
      return body && JSON.stringify(body);
    },
  });
  const onOff = binaryWord('ON', 'OFF');
  const fields: FieldPlan[] = [{
    name: 'state',
    capability: { kind: 'binary', access: accessOf(reported, true), on: 'ON', off: 'OFF' },
    ...opt('state', key('state', (v) => toBinary('ON', 'OFF')(typeof v === 'string' ? v : String(v)))),
    command: send((v) => { const w = onOff(v); return w ? { state: w } : undefined; }),
  }];
  const number = (name: string, min: number, max: number, unit?: string): FieldPlan => {
    const check = commandNumber(min, max);
    return {
      name,
      capability: { kind: 'numeric', access: accessOf(reported, true), min, max, step: 1, ...(unit ? { unit } : {}) },
      ...opt('state', key(name, (v) => { const n = numberFromReport(v as StateValue); return n === undefined ? SKIP : { value: n }; })),
      // Setting a level turns the light on, as HA's JSON light does.
      command: send((v) => { const n = check(v); return n === undefined ? undefined : { state: 'ON', [name]: n }; }),
    };
  };
  if (r.bool('brightness') || modes.includes('brightness')) fields.push(number('brightness', 0, scale));
  if (r.bool('color_temp') || modes.includes('color_temp')) fields.push(number('color_temp', r.num('min_mireds') ?? 153, r.num('max_mireds') ?? 500, 'mired'));
  return fields;
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
