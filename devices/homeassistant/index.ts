import type { MqttMessage } from '../../server/core/events.js';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, OutgoingMessage } from '../convention.js';
import type { Device, StateValue } from '../../server/core/model.js';
import { guardHandle } from '../shared/guard.js';
import { UpdateBuilder } from '../shared/update.js';
import { Discovery } from './discovery.js';
import { parseDiscoveryTopic } from './expand.js';
import { handleState } from './state.js';
import { EntityStore } from './store.js';
import { TemplateError } from './template/index.js';

// Home Assistant MQTT discovery, consumer side (HA docs mqtt.markdown; summary in docs/conventions.md).
// Accepted topic forms:
//   <prefix>/<component>/[<node_id>/]<object_id>/config   single-component config; empty payload removes it
//   <prefix>/device/[<node_id>/]<object_id>/config        device-based config (`cmps`)
//   <prefix>/status                                       HA's birth/LWT: we publish `online` at start, ignore it here
//   any state_topic / availability topic a config named   claimed once learned (they live outside the prefix)

export interface HomeAssistantOptions {
  /** HA's `discovery_prefix`; many devices hard-code the default. */
  discoveryPrefix?: string;
}

export function homeAssistantConventionWith(options: HomeAssistantOptions = {}): ConventionFactory {
  const prefix = options.discoveryPrefix ?? 'homeassistant';
  return (ctx: ConventionContext): Convention => {
    const store = new EntityStore();
    const discovery = new Discovery(store, ctx);
    const log = ctx.log.child({ convention: 'homeassistant' });

    const handle = (msg: MqttMessage): ConventionUpdate | undefined => {
      const out = new UpdateBuilder();
      const where = parseDiscoveryTopic(prefix, msg.topic);
      if (where) discovery.handle(msg, where, out);
      else handleState(store, msg, out);
      return out.build();
    };

    return {
      name: 'homeassistant',
      claims: (topic) => topic.startsWith(prefix + '/') || store.claims(topic),
      // The device's discovery configs and every topic they name (state, command, availability), exactly.
      ownedFilters: (device: Device): string[] => store.topicsOfDevice(device.id),
      handle: guardHandle('homeassistant', log, handle),

      encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined {
        const command = store.field(device.id, property)?.command;
        if (!command) return undefined;
        try {
          const payload = command.encode(value);
          return payload === undefined ? undefined : { topic: command.topic, payload, qos: command.qos, retain: command.retain };
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          log.warn({ deviceId: device.id, property, err: err.message }, 'command_template failed');
          return undefined;
        }
      },

      // Devices re-send discovery when HA comes online (HA docs "Discovery messages and availability").
      // Retained, unlike HA's own birth: our broker is embedded, so at start no device is connected yet, and
      // each device that connects later still needs to hear it.
      startMessages: () => [{ topic: `${prefix}/status`, payload: 'online', qos: 1, retain: true }],
    };
  };
}

/** The factory for devices/conventions.ts, with HA's default discovery prefix. */
export const createHomeAssistantConvention: ConventionFactory = homeAssistantConventionWith();
