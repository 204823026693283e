import type { Fields } from '../../shared/fields.js';
import { accessOf } from '../../shared/capability.js';
import { isObject } from '../../shared/payload.js';
import { SKIP, isBlank, templatedState, type FieldPlan } from '../field.js';
import { pyStr, type PyValue } from '../template/index.js';
import { pickName, template, type BuildContext } from './common.js';
import { extras } from './sensor.js';
import { parseDeviceJson } from '../../../server/core/device-json.js';

// Things that happen rather than states: `device_automation` triggers (HA docs device_trigger.mqtt.markdown;
// what Zigbee2MQTT 2.x announces for remote buttons) and `event` entities (event.mqtt.markdown).

/**
 * One trigger per (type, subtype): `action`/`single`, `action`/`double`... All triggers of one type share one
 * event property named after the type, whose values are the subtypes, so `action` ← `single` here is the same
 * event as Zigbee2MQTT's `{"action": "single"}`.
 */
export function deviceTrigger(r: Fields): FieldPlan[] {
  const atype = r.str('automation_type', true);
  const topic = r.str('topic', true);
  const type = r.str('type', true);
  const subtype = r.str('subtype', true);
  const payload = r.text('payload');
  const tpl = template(r, 'value_template');
  if (!r.has('device')) r.fail('device', 'is required for a device trigger');
  if (atype !== undefined && atype !== 'trigger') r.fail('automation_type', `must be "trigger", got ${JSON.stringify(atype)}`);
  if (topic === undefined || type === undefined || subtype === undefined) return [];
  const read = (v: PyValue) => {
    if (payload !== undefined && pyStr(v) !== payload) return SKIP;
    return { value: subtype };
  };
  return [{
    name: pickName(type, 'trigger'),
    capability: { kind: 'event', access: accessOf(true, false), values: [subtype] },
    state: templatedState(topic, tpl, read),
    shared: true,
  }];
}

/** An event entity: the (templated) payload is JSON whose `event_type` is one of `event_types`. */
export function eventEntity(r: Fields, ctx: BuildContext): FieldPlan[] {
  const topic = r.str('state_topic', true);
  const types = r.strList('event_types', true);
  const tpl = template(r, 'value_template');
  if (topic === undefined || !types) return [];
  const read = (v: PyValue) => {
    if (isBlank(v)) return SKIP;
    let data: unknown = v;
    if (typeof v === 'string') {
      try {
        data = parseDeviceJson(v);
      } catch {
        return { problem: `event payload is not JSON: ${JSON.stringify(v).slice(0, 40)}` };
      }
    }
    const type = isObject(data) ? data.event_type : undefined;
    if (typeof type !== 'string' || !types.includes(type)) {
      return { problem: `event_type ${JSON.stringify(type ?? null)} is not one of ${types.join(', ')}` };
    }
    return { value: type };
  };
  return [{
    name: pickName(r.str('device_class'), r.str('name'), ctx.objectId, 'event'),
    capability: { kind: 'event', access: accessOf(true, false), values: types, ...extras(r) },
    state: templatedState(topic, tpl, read),
  }];
}
