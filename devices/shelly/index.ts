import type { MqttMessage } from '../../server/core/events.js';
import type { Capability, Device, StateValue } from '../../server/core/model.js';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, DeviceDescriptor, OutgoingMessage } from '../convention.js';
import { guardHandle } from '../shared/guard.js';
import { foreignOwner, refuseForeign } from '../shared/ownership.js';
import { normalizeMac, safeId } from '../shared/ids.js';
import { MAX_CAPABILITIES_PER_DEVICE, MAX_DEVICES_PER_CONVENTION } from '../shared/limits.js';
import { isObject, quote, readJsonObject, readText } from '../shared/payload.js';
import { UpdateBuilder } from '../shared/update.js';
import { readComponent, type Reading } from './components.js';
import { rpcFor, simpleCommandFor } from './rpc.js';

// Shelly Gen2+ over MQTT (shelly-api-docs gen2 Mqtt, RPCProtocol, Notifications). Accepted topic forms, where
// <prefix> is the device's topic_prefix (default: its id, e.g. shellyplus1-a8032ab12345):
//   <prefix>/events/rpc        NotifyStatus / NotifyFullStatus (component status) and NotifyEvent (button events)
//   <prefix>/status/<comp:id>  full status of one component (status_ntf)
//   <prefix>/online            true / false (the device's last will)
// `events/rpc` is claimed for any prefix; `online` and `status/…` only for prefixes already seen or that look like
// a default Shelly id, since `<x>/online` alone is too generic to take from other conventions.

export interface ShellyOptions {
  /** `src` of our RPC calls: replies come back on `<src>/rpc`. */
  source?: string;
  /** `rpc` (always available) or `simple` (`<prefix>/command/switch:N`, when enable_control is on). */
  control?: 'rpc' | 'simple';
}

const DEFAULT_ID = /^shelly[a-z0-9]+-[0-9a-f]{6,12}$/;

interface ShellyDevice {
  id: string;
  prefix: string;
  mac?: string;
  capabilities: Map<string, Capability>;
}

export function shellyConventionWith(options: ShellyOptions = {}): ConventionFactory {
  const source = options.source ?? 'rumah';
  return (ctx: ConventionContext): Convention => {
    const log = ctx.log.child({ convention: 'shelly' });
    const byPrefix = new Map<string, ShellyDevice>();
    const byId = new Map<string, ShellyDevice>();
    let rpcId = 0;

    const descriptor = (d: ShellyDevice): DeviceDescriptor => ({
      id: d.id, name: d.id, convention: 'shelly', topic: `${d.prefix}/events/rpc`, commandTopic: `${d.prefix}/rpc`,
      availabilityTopic: `${d.prefix}/online`, capabilities: [...d.capabilities.values()], ...(d.mac ? { aliases: [d.mac] } : {}),
    });

    function deviceFor(prefix: string, src: unknown, msg: MqttMessage, out: UpdateBuilder): ShellyDevice | undefined {
      let d = byPrefix.get(prefix);
      if (d) return d;
      if (byPrefix.size >= MAX_DEVICES_PER_CONVENTION) return void out.reject(`already ${MAX_DEVICES_PER_CONVENTION} Shelly devices; refusing ${prefix}`);
      const id = safeId(typeof src === 'string' && src !== '' ? src : prefix);
      // A `src` naming another account's device must not move that device (and its commands) to this prefix.
      const owner = foreignOwner(ctx, id, msg);
      if (owner) return void refuseForeign(out, msg, `${prefix}: src ${id} is a device of account ${owner}; refused`, id);
      d = { id, prefix, capabilities: new Map() };
      byPrefix.set(prefix, d);
      byId.set(id, d);
      out.device(descriptor(d));
      return d;
    }

    function apply(d: ShellyDevice, readings: Reading[], out: UpdateBuilder): void {
      let added = false;
      for (const { capability, value } of readings) {
        if (!d.capabilities.has(capability.property)) {
          if (d.capabilities.size >= MAX_CAPABILITIES_PER_DEVICE) continue;
          d.capabilities.set(capability.property, capability);
          added = true;
        }
        out.state(d.id, capability.property, value);
      }
      if (added) out.device(descriptor(d));
    }

    function notification(prefix: string, msg: MqttMessage, out: UpdateBuilder): void {
      const json = readJsonObject(msg);
      if (!json.ok) return void out.reject(`${msg.topic}: ${json.reason}`, byPrefix.get(prefix)?.id);
      const { src, method, params } = json.value;
      if (!isObject(params)) return void out.reject(`${msg.topic}: params must be an object`, byPrefix.get(prefix)?.id);
      const d = deviceFor(prefix, src, msg, out);
      if (!d) return;
      if (method === 'NotifyStatus' || method === 'NotifyFullStatus') {
        const mac = isObject(params.sys) && typeof params.sys.mac === 'string' ? normalizeMac(params.sys.mac) : undefined;
        if (mac && d.mac !== mac) {
          d.mac = mac;
          out.device(descriptor(d));
        }
        apply(d, Object.entries(params).flatMap(([key, status]) => readComponent(key, status)), out);
      } else if (method === 'NotifyEvent' && Array.isArray(params.events)) {
        // Button events (single_push, double_push, long_push...) of an input in button mode.
        for (const e of params.events) {
          if (!isObject(e) || typeof e.component !== 'string' || typeof e.event !== 'string') continue;
          const property = `${e.component}_event`;
          if (!d.capabilities.has(property) && d.capabilities.size < MAX_CAPABILITIES_PER_DEVICE) {
            d.capabilities.set(property, { property, kind: 'event', access: { reported: true, settable: false, readable: false } });
            out.device(descriptor(d));
          }
          if (d.capabilities.has(property)) out.event(d.id, property, e.event);
        }
      }
    }

    const handle = (msg: MqttMessage): ConventionUpdate | undefined => {
      const out = new UpdateBuilder();
      const t = msg.topic;
      if (t.endsWith('/events/rpc')) notification(t.slice(0, -'/events/rpc'.length), msg, out);
      else if (t.endsWith('/online')) {
        const prefix = t.slice(0, -'/online'.length);
        const text = readText(msg, 16);
        const word = text.ok ? text.value.trim() : '';
        if (word !== 'true' && word !== 'false') out.reject(`${t}: expected true or false, got ${text.ok ? quote(text.value) : 'a large payload'}`);
        else {
          const d = deviceFor(prefix, undefined, msg, out);
          if (d) out.avail(d.id, word === 'true' ? 'online' : 'offline');
        }
      } else {
        const i = t.lastIndexOf('/status/');
        const prefix = t.slice(0, i);
        const json = readJsonObject(msg);
        if (!json.ok) out.reject(`${t}: ${json.reason}`, byPrefix.get(prefix)?.id);
        else {
          const d = deviceFor(prefix, undefined, msg, out);
          if (d) apply(d, readComponent(t.slice(i + '/status/'.length), json.value), out);
        }
      }
      return out.build();
    };

    const isShellyPrefix = (prefix: string) => byPrefix.has(prefix) || DEFAULT_ID.test(prefix);

    return {
      name: 'shelly',
      // `<prefix>/#`: status, events, `online`, and the `rpc` and `command/…` topics the device takes commands on.
      ownedFilters(device: Device): string[] {
        if (device.convention !== 'shelly') return [];
        const prefix = byId.get(device.id)?.prefix ?? (device.topic.endsWith('/events/rpc') ? device.topic.slice(0, -'/events/rpc'.length) : undefined);
        return prefix ? [`${prefix}/#`] : [];
      },
      claims(topic) {
        if (topic.endsWith('/events/rpc')) return topic.length > '/events/rpc'.length;
        if (topic.endsWith('/online')) return isShellyPrefix(topic.slice(0, -'/online'.length));
        const i = topic.lastIndexOf('/status/');
        return i > 0 && /^[a-z0-9]+:\d+$/.test(topic.slice(i + 8)) && isShellyPrefix(topic.slice(0, i));
      },
      handle: guardHandle('shelly', log, handle),

      encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined {
        const d = byId.get(device.id);
        const cap = d?.capabilities.get(property);
        if (!d || !cap?.access.settable) return undefined;
        if (options.control === 'simple') {
          const simple = simpleCommandFor(cap, value);
          if (simple) return { topic: `${d.prefix}/command/${simple.component}`, payload: simple.word, qos: 1, retain: false };
        }
        const call = rpcFor(cap, value);
        if (!call) return undefined;
        // Key order as in the Shelly docs: id, src, method, params.
        const payload = JSON.stringify({ id: ++rpcId, src: source, method: call.method, params: call.params });
        return { topic: `${d.prefix}/rpc`, payload, qos: 1, retain: false };
      },
    };
  };
}

/** The factory for devices/conventions.ts: RPC control, `src` "rumah". */
export const createShellyConvention: ConventionFactory = shellyConventionWith();
