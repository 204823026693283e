import type { DeviceModel, KindName, PropertySpec, TickResult, Value } from '../types.js';
import { asSwitch } from './values.js';

// A relay that is only on or off (a light, a wall switch). It does not switch itself: every change comes from a
// command, so a test that switches it sees exactly what it asked for. Its turn re-reports the state, as firmware
// does periodically (Tasmota's TelePeriod, Zigbee attribute reporting).

export const STATE: PropertySpec = { name: 'state', type: 'boolean', settable: true };

export function relayModel(kind: KindName, initiallyOn: boolean): DeviceModel {
  let on = initiallyOn;
  return {
    kind,
    properties: [STATE],
    values: () => ({ state: on }),
    tick: (): TickResult => ({ report: true }),
    set(property: string, value: Value): boolean {
      if (property !== 'state') return false;
      const next = asSwitch(value, on);
      if (next === undefined) return false;
      on = next;
      return true;
    },
  };
}
