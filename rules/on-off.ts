// One reading of "on" and "off" for every part of the rules feature (expressions, state conditions, keep blocks):
// devices say it in many words (true, 1, "ON", "on", "true"), and a rule must not care which.

/** true = on, false = off, undefined = neither (a number like 128, a word like "unknown", null). */
export function onOffOf(value: unknown): boolean | undefined {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  if (typeof value === 'string') {
    // Case-insensitive: Tasmota says "ON", Homie "true", zigbee2mqtt "ON", some firmwares "On".
    const word = value.trim().toLowerCase();
    if (word === 'on' || word === 'true') return true;
    if (word === 'off' || word === 'false') return false;
  }
  return undefined;
}

/** The value reads as on: true, 1, 'on', 'ON', 'true' (any case). */
export function isOnValue(value: unknown): boolean {
  return onOffOf(value) === true;
}

/** The value reads as off: false, 0, 'off', 'OFF', 'false' (any case). A missing value is neither on nor off. */
export function isOffValue(value: unknown): boolean {
  return onOffOf(value) === false;
}
