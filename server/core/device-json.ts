/**
 * The deepest nesting of arrays and objects taken from a device's JSON. JSON.parse accepts any depth, but the
 * hub walks values recursively (JSON.stringify into history, socket.io, comparisons): a payload of 5,000 nested
 * brackets overflowed the stack in the history writer, whose batch then failed on every retry. Real devices nest
 * a few levels (Zigbee2MQTT's bridge/devices about six).
 */
export const MAX_JSON_DEPTH = 64;

/** JSON.parse for text a device sent: nesting past MAX_JSON_DEPTH is refused, before parsing, as a SyntaxError. */
export function parseDeviceJson(text: string): unknown {
  if (text.length > MAX_JSON_DEPTH && nestedDeeper(text, MAX_JSON_DEPTH)) {
    throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return JSON.parse(text) as unknown;
}

/** Whether brackets outside strings nest deeper than `max`; malformed text is left to JSON.parse to refuse. */
function nestedDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
