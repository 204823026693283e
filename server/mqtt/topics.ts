// Topic names and matching, defined once. MQTT 3.1.1 section 4.7.

/**
 * `+` matches one level, `#` (last) matches any remaining levels including none [MQTT-4.7.1-2]. Scans both strings
 * in place: it runs for every ACL check, bridge rule, export and rule trigger of every message, where splitting
 * both into arrays was the allocation (test/unit/mqtt/topics.test.ts holds it to the split reading of the spec).
 */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with `$`.
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === PLUS || first === HASH)) return false;
  const fl = filter.length;
  const tl = topic.length;
  let f = 0;
  let t = 0;
  for (;;) {
    // At the start of a level in both.
    const c = filter.charCodeAt(f);
    const whole = f + 1 === fl || filter.charCodeAt(f + 1) === SLASH;
    if (c === HASH && whole) return true;
    if (c === PLUS && whole) {
      while (t < tl && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else {
      while (f < fl && filter.charCodeAt(f) !== SLASH) {
        if (t >= tl || topic.charCodeAt(t) !== filter.charCodeAt(f)) return false;
        f++;
        t++;
      }
      if (t < tl && topic.charCodeAt(t) !== SLASH) return false;
    }
    // At the end of a level in both.
    if (f >= fl) return t >= tl;
    // The topic has no more levels: only a last `/#` (which matches the parent level too) can still match.
    if (t >= tl) return fl - f === 2 && filter.charCodeAt(f + 1) === HASH;
    f++;
    t++;
  }
}

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/** Why a topic filter is invalid, or undefined when it is valid [MQTT-4.7.1-2], [MQTT-4.7.1-3]. */
export function filterError(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter must not be empty';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be a whole level and the last one';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/**
 * Why a topic name or filter is not a well-formed MQTT string, or undefined. mqtt-packet decodes topics with
 * Buffer#toString, which turns ill-formed UTF-8 into U+FFFD, so that character is how it shows here; a topic that
 * really contains U+FFFD is refused with them (no device needs one). Such a packet is malformed: the connection is
 * closed [MQTT-1.5.3-1], [MQTT-1.5.3-2], rather than the topic becoming a device nobody can name or subscribe to.
 */
export function malformedText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 [MQTT-1.5.3-2]';
  if (text.includes('\uFFFD')) return 'is not well-formed UTF-8 [MQTT-1.5.3-1]';
  return undefined;
}

export const commandSuffix = '/set';
export const availabilitySuffix = '/status';
export const sysPrefix = '$SYS/';

/**
 * Topics that carry commands to devices, in every convention we speak: native and Zigbee2MQTT/Homie `…/set`,
 * Tasmota `cmnd/…`, Shelly Gen2 `…/rpc` and Gen1 `…/command`.
 */
export function isCommandTopic(topic: string): boolean {
  return topic.endsWith('/set') || topic.startsWith('cmnd/') || topic.endsWith('/rpc') || topic.endsWith('/command') || topic.includes('/set/') || topic.includes('/command/');
}
