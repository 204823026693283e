import type { KindName } from '../types.js';
import type { KindFactory } from './context.js';
import { createButton } from './button.js';
import { createContact } from './contact.js';
import { createDimmer } from './dimmer.js';
import { createHumidity } from './humidity.js';
import { createLight } from './light.js';
import { createMotion } from './motion.js';
import { createPlug } from './plug.js';
import { createSwitch } from './switch.js';
import { createTemperature } from './temperature.js';
import { createThermostat } from './thermostat.js';

export type { KindContext, KindFactory } from './context.js';

/** Every device kind, one file each. Adding a kind is one file, one line here and one case per wire format. */
export const KINDS: Readonly<Record<KindName, KindFactory>> = {
  light: createLight,
  dimmer: createDimmer,
  switch: createSwitch,
  plug: createPlug,
  thermostat: createThermostat,
  temperature: createTemperature,
  humidity: createHumidity,
  motion: createMotion,
  contact: createContact,
  button: createButton,
};

/**
 * The order kinds are handed out in: any ten consecutive devices are one of each, so even a small simulation
 * shows every kind, and sensors and lights (the common devices) come first.
 */
export const KIND_CYCLE: readonly KindName[] = ['light', 'temperature', 'motion', 'switch', 'dimmer', 'contact', 'plug', 'humidity', 'button', 'thermostat'];
