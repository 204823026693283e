// What an expression may ask of the hub. The engine implements this over the state store and the device registry;
// tests implement it with a few literal states. Expressions see nothing else of the hub.

import type { StateValue } from '../../server/core/model.js';

export interface StateMatch {
  deviceId: string;
  property: string;
  value: StateValue;
  /**
   * The capability's own reading of on/off, when it knows one (a binary capability with its `on`/`off` words).
   * When absent, on-ness is read from the value with isOnValue (rules/on-off.ts).
   */
  isOn?: boolean;
}

export interface ExpressionHost {
  /**
   * The current states a filter selects: an MQTT topic filter over device topics (`ourhome/+/+/light`) or an area
   * (`area:firstfloor/kitchen`, `area:firstfloor`). The filter has been checked with parseStateFilter already.
   */
  matchStates(filter: string): readonly StateMatch[];
  /** A device's state by device id or topic; without a property, the device's main property. */
  state(ref: string, property?: string): StateValue | undefined;
  /** Epoch milliseconds (the engine's clock, so tests can control it). */
  now(): number;
}
