// The state a dry run sees: the live states with the simulated input applied first, as the hub would before any
// rule hears of it (a report is parsed and stored, then stateChanged reaches the rules). Without this, "count the
// lights that are on" dry-run with a message turning a light off counted that light as still on (issue 18).
//
// A message is parsed by *fresh* instances of the conventions: the hub's own ones keep caches and discovery state
// (native's descriptor per topic, Zigbee2MQTT's friendly names, HA's entities) that a dry run must not touch. A
// fresh convention knows what the message itself says and the devices the registry has, which is all the native
// convention needs; a convention that needs earlier messages (a Zigbee2MQTT device report needs the bridge's device
// list) gives nothing, and then a device whose topic is the message's topic takes the payload as it is: a JSON
// object's keys as properties, else the device's main property (numbers as numbers, words as sent: that
// convention's own conversions are not applied, so `"ON"` stays `"ON"`).

import type { Convention, ConventionFactory } from '../../devices/convention.js';
import type { MqttMessage } from '../../server/core/events.js';
import type { Logger } from '../../server/core/logger.js';
import type { DeviceState, StateValue } from '../../server/core/model.js';
import type { StateStore } from '../../server/core/state-store.js';
import type { ExprValue } from '../expressions/index.js';
import { payloadVars } from '../triggers/message-vars.js';
import type { DeviceIndex } from './devices.js';

export interface DryChange {
  deviceId: string;
  property: string;
  value: StateValue;
  previous: StateValue | undefined;
}

type StateReader = Pick<StateStore, 'get' | 'value'>;

/** The live states with `changes` laid over them; nothing is written. */
export function overlayStates(states: StateReader, changes: readonly DryChange[], now: number): StateReader {
  const over = new Map<string, DeviceState>();
  for (const c of changes) {
    const base = over.get(c.deviceId) ?? { ...states.get(c.deviceId) };
    base[c.property] = { value: c.value, ts: now, cause: { kind: 'device', id: c.deviceId } };
    over.set(c.deviceId, base);
  }
  return {
    get: (deviceId) => over.get(deviceId) ?? states.get(deviceId),
    value: (deviceId, property) => (over.get(deviceId) ?? states.get(deviceId))?.[property]?.value,
  };
}

function same(a: StateValue | undefined, b: StateValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The state changes one message would make (only real changes of devices the hub has). */
export function messageChanges(
  msg: { topic: string; payload: string },
  devices: DeviceIndex,
  conventions: { factories: readonly ConventionFactory[]; log: Logger; now: () => number },
): DryChange[] {
  const ctx = { log: conventions.log, now: conventions.now, getDevice: (id: string) => devices.get(id) };
  let fresh: Convention | undefined;
  for (const f of conventions.factories) {
    const c = f(ctx);
    if (c.claims(msg.topic)) {
      fresh = c;
      break;
    }
  }
  const mqtt: MqttMessage = { topic: msg.topic, payload: Buffer.from(msg.payload), qos: 0, retain: false };
  const values = new Map<string, Record<string, StateValue>>();
  try {
    for (const s of fresh?.handle(mqtt)?.states ?? []) if (devices.get(s.deviceId)) values.set(s.deviceId, s.values);
  } catch {
    // A payload the convention cannot read changes nothing here either (the hub would log and drop it).
  }
  if (values.size === 0) {
    const device = devices.resolve(msg.topic);
    if (device && device.topic === msg.topic) {
      const v = payloadVars(msg.payload);
      const json = v.value_json as ExprValue | undefined;
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) values.set(device.id, json as Record<string, StateValue>);
      else {
        const main = devices.mainProperty(device);
        if (main !== undefined) values.set(device.id, { [main]: v.value as StateValue });
      }
    }
  }
  const out: DryChange[] = [];
  for (const [deviceId, record] of values) {
    for (const [property, value] of Object.entries(record)) {
      const previous = devices.value(deviceId, property);
      if (!same(previous, value)) out.push({ deviceId, property, value, previous });
    }
  }
  return out;
}
