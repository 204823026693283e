import type { MqttMessage } from '../../server/core/events.js';
import type { Availability, Device, StateValue } from '../../server/core/model.js';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, OutgoingMessage } from '../convention.js';
import { numberForCommand, wordForCommand } from '../shared/capability.js';
import { guardHandle } from '../shared/guard.js';
import { MAX_BRIDGE_DEVICES_BYTES, MAX_DEVICES_PER_CONVENTION } from '../shared/limits.js';
import { readJson, readText } from '../shared/payload.js';
import { UpdateBuilder } from '../shared/update.js';
import { descriptorOf, readBridgeDevices, type ZigbeeDevice } from './bridge.js';
import { readAvailabilityWord, readDeviceState } from './state.js';

// Zigbee2MQTT bridge (zigbee2mqtt.io docs/guide/usage/mqtt_topics_and_messages.md). Accepted topic forms:
//   <base>/bridge/devices               retained list of devices with exposes → devices and capabilities
//   <base>/bridge/state                 bridge online/offline ({"state":…} or plain) → all its devices offline
//   <base>/bridge/<anything else>       info, event, logging, response/…: not device state, ignored
//   <base>/<friendly_name>              JSON state
//   <base>/<friendly_name>/availability {"state":"online"} or legacy online/offline
//   <base>/<friendly_name>/set|get|…    commands (ours included) and the HA helper `/action`: ignored
// Friendly names may contain `/`; the longest known name wins.

export interface Zigbee2mqttOptions {
  /** `mqtt.base_topic` of the bridge. */
  baseTopic?: string;
}

const PERMIT_JOIN_MAX = 254; // seconds: Zigbee2MQTT's maximum for `permit_join` `time`
const PENDING_MAX = 512;
const PENDING_BYTES = 4096;

export function zigbee2mqttConventionWith(options: Zigbee2mqttOptions = {}): ConventionFactory {
  const base = options.baseTopic ?? 'zigbee2mqtt';
  return (ctx: ConventionContext): Convention => {
    const log = ctx.log.child({ convention: 'zigbee2mqtt' });
    let byId = new Map<string, ZigbeeDevice>();
    let byName = new Map<string, ZigbeeDevice>();
    const byAlias = new Map<string, string>();
    const reported = new Map<string, Availability>();
    // Retained state and availability can arrive before bridge/devices: kept (small, bounded) until it does.
    const pending = new Map<string, string>();

    function resolve(rest: string): { device: ZigbeeDevice; suffix: string } | undefined {
      const levels = rest.split('/');
      for (let n = levels.length; n >= 1; n--) {
        const device = byName.get(levels.slice(0, n).join('/'));
        if (device) return { device, suffix: levels.slice(n).join('/') };
      }
      return undefined;
    }

    function deviceTopic(rest: string, text: string, out: UpdateBuilder): boolean {
      const found = resolve(rest);
      if (!found) return false;
      const { device, suffix } = found;
      if (suffix === '') readDeviceState(device, text, out);
      else if (suffix === 'availability') {
        const word = readAvailabilityWord(text);
        if (word === 'online' || word === 'offline') {
          reported.set(device.id, word);
          out.avail(device.id, word);
        } else out.reject(`${device.friendlyName}: ${word}`, device.id);
      }
      return true;
    }

    function bridgeDevices(msg: MqttMessage, out: UpdateBuilder): void {
      const json = readJson(msg, MAX_BRIDGE_DEVICES_BYTES);
      if (!json.ok) return void out.reject(`bridge/devices: ${json.reason}`);
      const { devices, problems } = readBridgeDevices(json.value);
      if (devices.length > MAX_DEVICES_PER_CONVENTION) return void out.reject(`bridge/devices: ${devices.length} devices exceed the limit of ${MAX_DEVICES_PER_CONVENTION}`);
      const next = new Map(devices.map((d) => [d.id, d]));
      for (const id of byId.keys()) if (!next.has(id)) out.remove(id);
      for (const d of devices) {
        const old = byId.get(d.id);
        if (!old || JSON.stringify(old) !== JSON.stringify(d)) out.device(descriptorOf(base, d));
        byAlias.set(d.ieee, d.id);
      }
      byId = next;
      byName = new Map(devices.map((d) => [d.friendlyName, d]));
      for (const [topic, text] of pending) if (deviceTopic(topic, text, out)) pending.delete(topic);
      if (problems.length) out.reject(problems.join('; '));
    }

    function bridgeState(text: string, out: UpdateBuilder): void {
      const word = readAvailabilityWord(text);
      if (word === 'offline') {
        for (const id of byId.keys()) out.avail(id, 'offline');
      } else if (word === 'online') {
        // Back to what each device last reported (devices without availability reporting stay as they are).
        for (const [id, a] of reported) if (byId.has(id)) out.avail(id, a);
      } else out.reject(`bridge/state: ${word}`);
    }

    const handle = (msg: MqttMessage): ConventionUpdate | undefined => {
      const out = new UpdateBuilder();
      const rest = msg.topic.slice(base.length + 1);
      if (rest === 'bridge/devices') bridgeDevices(msg, out);
      else if (rest.startsWith('bridge/')) {
        if (rest === 'bridge/state') {
          const text = readText(msg);
          if (text.ok) bridgeState(text.value, out);
          else out.reject(`bridge/state: ${text.reason}`);
        }
      } else if (msg.payload.length > 0) {
        const text = readText(msg);
        if (!text.ok) out.reject(`${msg.topic}: ${text.reason}`, resolve(rest)?.device.id);
        else if (!deviceTopic(rest, text.value, out) && msg.payload.length <= PENDING_BYTES) {
          if (pending.size >= PENDING_MAX) pending.delete(pending.keys().next().value!);
          pending.set(rest, text.value);
        }
      }
      return out.build();
    };

    return {
      name: 'zigbee2mqtt',
      claims: (topic) => topic.startsWith(base + '/'),
      // The bridge's whole base topic belongs to the account that runs the bridge (the one whose `bridge/devices`
      // made these devices): its devices' states and `/set`, and `bridge/request/…` (permit_join, remove), `bridge/devices`.
      ownedFilters: (device: Device): string[] =>
        device.convention === 'zigbee2mqtt' || byId.has(device.id) || byAlias.has(device.id) ? [`${base}/#`] : [],
      handle: guardHandle('zigbee2mqtt', log, handle),

      encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined {
        const zd = byId.get(device.id) ?? byId.get(byAlias.get(device.id) ?? '');
        const cap = zd?.capabilities.find((c) => c.property === property);
        if (!zd || !cap?.access.settable) return undefined;
        let v: StateValue | undefined;
        if (cap.kind === 'binary') v = typeof value === 'string' && value.toLowerCase() === 'toggle' ? 'TOGGLE' : wordForCommand(cap, value);
        else if (cap.kind === 'numeric') {
          const n = numberForCommand(value);
          v = n !== undefined && (cap.min === undefined || n >= cap.min) && (cap.max === undefined || n <= cap.max) ? n : undefined;
        } else if (cap.kind === 'enum') v = typeof value === 'string' && (cap.values ?? []).includes(value) ? value : undefined;
        else if (cap.kind === 'text') v = typeof value === 'string' ? value : undefined;
        if (v === undefined) return undefined;
        return { topic: `${base}/${zd.friendlyName}/set`, payload: JSON.stringify({ [property]: v }), qos: 1, retain: false };
      },

      // Zigbee2MQTT 2.x: `{"time": s}` opens for s seconds (max 254), `{"time": 0}` closes (Koenkk/zigbee2mqtt#24257).
      joinWindowMessages(open: boolean, seconds: number): OutgoingMessage[] {
        const time = open ? Math.min(PERMIT_JOIN_MAX, Math.max(1, Math.round(seconds))) : 0;
        return [{ topic: `${base}/bridge/request/permit_join`, payload: JSON.stringify({ time }), qos: 1, retain: false }];
      },
    };
  };
}

/** The factory for devices/conventions.ts, with the bridge's default base topic. */
export const createZigbee2mqttConvention: ConventionFactory = zigbee2mqttConventionWith();
