import type { ConventionFactory } from './convention.js';
import { createHomeAssistantConvention } from './homeassistant/index.js';
import { createHomieConvention } from './homie/index.js';
import { createNativeConvention } from './native/index.js';
import { createShellyConvention } from './shelly/index.js';
import { createTasmotaConvention } from './tasmota/index.js';
import { createZigbee2mqttConvention } from './zigbee2mqtt/index.js';

/**
 * The conventions the hub speaks, in the order they are asked to claim a topic. The specific ones first, so a
 * `zigbee2mqtt/...` message reaches the convention that knows the device; Home Assistant before native, because
 * it claims four-level state topics it learned from discovery; native last, the fallback for home topics.
 */
export const conventionFactories: ConventionFactory[] = [
  createZigbee2mqttConvention,
  createTasmotaConvention,
  createShellyConvention,
  createHomieConvention,
  createHomeAssistantConvention,
  createNativeConvention,
];
