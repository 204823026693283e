import type { Capability, Device, StateValue } from '../../../server/core/model.js';
import { onOff } from './format.js';

// What counts as a light for the "lights on" counter: a device with a binary property named `light` (native home
// topics: <home>/<floor>/<room>/light), or a device whose topic, id or name says light or lamp and that has a
// binary on/off property (zigbee2mqtt, Home Assistant and Tasmota lights report `state` or `power`).
const lightWords = /\b(light|lights|lamp|lamps)\b|light$|lamp$/i;
const switchProperties = ['light', 'state', 'power', 'on', 'switch'];

/** The binary capability that says whether this light is on, or undefined when the device is not a light. */
export function lightCapability(device: Device): Capability | undefined {
  const binaries = device.capabilities.filter((c) => c.kind === 'binary');
  const named = binaries.find((c) => c.property === 'light');
  if (named) return named;
  const lastLevel = device.topic.split('/').pop() ?? '';
  if (!lightWords.test(lastLevel) && !lightWords.test(device.id.replace(/[-_]/g, ' ')) && !lightWords.test(device.name)) return undefined;
  return switchProperties.map((p) => binaries.find((c) => c.property === p)).find(Boolean) ?? binaries[0];
}

type WithState = Device & { state: Record<string, { value: StateValue }> };

/**
 * On as far as anyone knows: a light that is offline or stale (silent for longer than it usually is) is not counted
 * as on, whatever it last said; it still counts in the total.
 */
export function isLightOn(device: WithState): boolean {
  if (device.availability === 'offline' || device.availability === 'stale') return false;
  const cap = lightCapability(device);
  return cap !== undefined && onOff(device.state[cap.property]?.value) === true;
}

export function countLights(devices: readonly WithState[]): { on: number; total: number } {
  let on = 0;
  let total = 0;
  for (const d of devices) {
    if (d.disabled || !lightCapability(d)) continue;
    total++;
    if (isLightOn(d)) on++;
  }
  return { on, total };
}
