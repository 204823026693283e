import { displayText } from '../../server/core/display-text.js';
import { prettify } from '../../server/core/prettify.js';
import { createHash } from 'node:crypto';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, DeviceDescriptor, OutgoingMessage } from '../convention.js';
import type { Device, StateValue } from '../../server/core/model.js';
import type { MqttMessage } from '../../server/core/events.js';
import { availabilitySuffix, commandSuffix } from '../../server/mqtt/topics.js';
import { binaryWord, parseNativePayload } from './payload.js';

// Accepted topic forms (the native home convention):
//   <home>/<floor>/<room>/<thing>          state: a word (on/off/open/true...), a number, text or a JSON object
//   <home>/<floor>/<room>/<thing>/status   availability: online | offline (typically the device's last will)
//   <home>/<floor>/<room>/<thing>/set      commands to the device: published by the hub, never read as state

/** First levels that belong to other conventions or to the broker; native never claims them. */
const reserved = new Set(['homeassistant', 'homie', 'zigbee2mqtt', 'tasmota', 'cmnd', 'stat', 'tele', 'shellies']);
const slugPart = /[^a-z0-9_]+/g;

export function nativeDeviceId(levels: string[]): string {
  return levels.map((l) => l.toLowerCase().replace(slugPart, '_')).join('-');
}

/**
 * The id of the device at `base` (`home/floor/room/thing`): its slug, unless another topic's device already has that
 * slug (`ground floor` and `ground-floor`, `Light` and `light`, or two names in a script the slug cannot spell, such
 * as 一楼 and 二楼, which both become `_`). That second device gets the slug and a hash of its topic, so the two
 * stay two devices; ids are kept in the registry with their topic, so each keeps its id across restarts.
 */
export function uniqueNativeId(base: string, topicOf: (id: string) => string | undefined): string {
  const slug = nativeDeviceId(base.split('/'));
  const hashed = `${slug}.${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
  if (topicOf(hashed) === base) return hashed;
  const owner = topicOf(slug);
  return owner === undefined || owner === base ? slug : hashed;
}

/** "livingroom", "ceiling_light" → "Living room ceiling light" (server/core/prettify.ts): made once, when first seen. */
function humanName(room: string, thing: string): string {
  return prettify(displayText(`${room} ${thing}`));
}

/** What a native topic says, worked out once per topic: every report of a device repeats its topic. */
interface TopicInfo {
  suffix: '' | typeof commandSuffix | typeof availabilitySuffix;
  thing: string;
  /** The device without capabilities (availability messages), and the last one sent with them (state). */
  descriptor: DeviceDescriptor;
  last?: DeviceDescriptor;
}

/** Topics remembered at most; past it the memory starts again (a client publishing random topics cannot grow it). */
const maxTopics = 10_000;

function topicInfo(topic: string, topicOf: (id: string) => string | undefined): TopicInfo | undefined {
  if (topic.startsWith('$')) return undefined;
  const levels = topic.split('/');
  if (levels.length !== 4 && levels.length !== 5) return undefined;
  if (reserved.has(levels[0]!) || !levels.every((l) => l.length > 0)) return undefined;
  const suffix = levels.length === 5 ? `/${levels[4]}` : '';
  if (suffix !== '' && suffix !== commandSuffix && suffix !== availabilitySuffix) return undefined;
  const [home, floor, room, thing] = levels as [string, string, string, string];
  const base = levels.slice(0, 4).join('/');
  const descriptor: DeviceDescriptor = {
    id: uniqueNativeId(base, topicOf), name: humanName(room, thing), convention: 'native', topic: base, home, floor, room,
    commandTopic: base + commandSuffix, availabilityTopic: base + availabilitySuffix, capabilities: [],
  };
  return { suffix: suffix as TopicInfo['suffix'], thing, descriptor };
}

export const createNativeConvention: ConventionFactory = (ctx: ConventionContext): Convention => {
  const topics = new Map<string, TopicInfo | null>();
  // The registry asks claims(topic) and then handle(msg) for the same topic string: the second lookup is skipped.
  let lastTopic: string | undefined;
  let lastInfo: TopicInfo | undefined;
  const info = (topic: string): TopicInfo | undefined => {
    if (topic === lastTopic) return lastInfo;
    let found = topics.get(topic);
    if (found === undefined) {
      if (topics.size >= maxTopics) topics.clear();
      found = topicInfo(topic, (id) => ctx.getDevice(id)?.topic) ?? null;
      topics.set(topic, found);
    }
    lastTopic = topic;
    lastInfo = found ?? undefined;
    return lastInfo;
  };
  return {
    name: 'native',

    claims: (topic: string): boolean => info(topic) !== undefined,

    handle(msg: MqttMessage): ConventionUpdate | undefined {
      const t = info(msg.topic);
      if (!t || t.suffix === commandSuffix) return undefined;
      const { descriptor } = t;
      const id = descriptor.id;
      // An empty payload clears a retained message; it says nothing about the device.
      if (msg.payload.length === 0) return undefined;
      const text = msg.payload.toString('utf8');
      if (t.suffix === availabilitySuffix) {
        const word = text.trim().toLowerCase();
        if (word !== 'online' && word !== 'offline') {
          return { rejected: { deviceId: id, reason: `availability payload must be "online" or "offline", got "${text.slice(0, 40)}"` } };
        }
        return { devices: [descriptor], availability: [{ deviceId: id, availability: word }] };
      }
      const parsed = parseNativePayload(t.thing, text, t.last?.capabilities);
      // The same descriptor object while the capabilities stay the same: the registry skips merging it.
      if (parsed.capabilities !== t.last?.capabilities) t.last = { ...descriptor, capabilities: parsed.capabilities };
      return { devices: [t.last!], states: [{ deviceId: id, values: parsed.values }] };
    },

    // `<home>/<floor>/<room>/<thing>/#`: the state topic itself, `/set`, `/status` and whatever else below it.
    ownedFilters: (device: Device): string[] => (device.convention === 'native' ? [`${device.topic}/#`] : []),

    encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined {
      if (!device.commandTopic) return undefined;
      const cap = device.capabilities.find((c) => c.property === property);
      const thing = device.topic.split('/').pop();
      let raw: StateValue = value;
      if (cap?.kind === 'binary' && typeof value === 'boolean') raw = binaryWord(cap, value, value ? 'on' : 'off');
      // A device that reported plain values gets a plain command; one that reported JSON gets JSON back.
      if (property === thing) {
        const payload = typeof raw === 'string' ? raw : JSON.stringify(raw);
        return { topic: device.commandTopic, payload, qos: 1, retain: false };
      }
      ctx.log.debug({ deviceId: device.id, property }, 'native JSON command');
      return { topic: device.commandTopic, payload: JSON.stringify({ [property]: raw }), qos: 1, retain: false };
    },
  };
};
