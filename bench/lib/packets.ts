import mqttPacket from 'mqtt-packet';
import { MQTT311, type Dialect } from './dialect.js';

// Pre-encoded MQTT 3.1.1 or 5 packets for the load generator (3.1.1 unless a Dialect says otherwise). A publish is a template copied into the write buffer
// with its variable digits and packet identifier patched in place: no object, no encoder call per message.

const FLOORS = ['basement', 'groundfloor', 'firstfloor', 'secondfloor', 'attic'];
const THINGS = ['climate', 'multisensor', 'thermostat', 'airquality', 'meter', 'plug', 'radiator', 'window', 'fridge', 'boiler'];

/** `ourhome/<floor>/<room>/<thing>` (the native convention's form), `count` distinct topics, at most 1000. */
export function homeTopics(count: number, home = 'ourhome'): string[] {
  if (count > FLOORS.length * 20 * THINGS.length) throw new Error(`at most ${FLOORS.length * 20 * THINGS.length} topics`);
  return Array.from({ length: count }, (_, i) => {
    const floor = FLOORS[i % FLOORS.length]!;
    const room = `room${String(Math.floor(i / FLOORS.length) % 20).padStart(2, '0')}`;
    const thing = THINGS[Math.floor(i / (FLOORS.length * 20)) % THINGS.length]!;
    return `${home}/${floor}/${room}/${thing}`;
  });
}

/**
 * A ~60-byte telemetry reading. The letters are replaced per message: the temperature changes on every message of
 * a topic (one state change, so history is exercised), the humidity now and then, battery and rssi never.
 */
export const TELEMETRY_TEMPLATE = '{"temperature":2A.BC,"humidity":4D.E,"battery":97,"rssi":-61}';
const DIGIT_MARKS = ['C', 'B', 'A', 'E', 'D'] as const;

export interface PublishTemplate {
  bytes: Buffer;
  /** Offset of the 2-byte packet identifier (QoS 1), -1 for QoS 0. */
  idOffset: number;
  /** Offsets of the variable digits, least significant first. */
  digits: number[];
}

export function publishTemplate(topic: string, qos: 0 | 1, template = TELEMETRY_TEMPLATE, dialect: Dialect = MQTT311): PublishTemplate {
  const payload = Buffer.from(template.replace(/[A-E]/g, '0'));
  const properties = dialect.version === 5 ? dialect.publishProperties : undefined;
  const bytes = mqttPacket.generate(
    { cmd: 'publish', topic, payload, qos, retain: false, dup: false, messageId: qos ? 1 : undefined, ...(properties ? { properties } : {}) },
    { protocolVersion: dialect.version },
  );
  const payloadStart = bytes.length - payload.length;
  const digits = DIGIT_MARKS.map((m) => template.indexOf(m)).filter((i) => i >= 0).map((i) => payloadStart + i);
  // The packet identifier follows the topic; in MQTT 5 the properties come after it, before the payload.
  let header = 1;
  while (bytes[header]! & 0x80) header++;
  header++;
  return { bytes, idOffset: qos ? header + 2 + bytes.readUInt16BE(header) : -1, digits };
}

/**
 * Copies `t` into `out` at `at` with value number `v` written into its digits and `messageId` (QoS 1).
 * Returns the offset after it.
 */
export function writePublish(t: PublishTemplate, out: Buffer, at: number, v: number, messageId: number): number {
  t.bytes.copy(out, at);
  const d = t.digits;
  // temperature 2A.BC takes v's last three digits; humidity 4D.E changes every 7th value.
  if (d.length >= 3) {
    out[at + d[0]!] = 48 + (v % 10);
    out[at + d[1]!] = 48 + (Math.floor(v / 10) % 10);
    out[at + d[2]!] = 48 + (Math.floor(v / 100) % 10);
  }
  if (d.length >= 5) {
    const w = Math.floor(v / 7);
    out[at + d[3]!] = 48 + (w % 10);
    out[at + d[4]!] = 48 + (Math.floor(w / 10) % 10);
  }
  if (t.idOffset >= 0) out.writeUInt16BE(messageId, at + t.idOffset);
  return at + t.bytes.length;
}

export function connectPacket(clientId: string, username?: string, password?: string, keepalive = 120, clean = true, version: 4 | 5 = 4): Buffer {
  return mqttPacket.generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean, clientId, keepalive,
    username, password: password === undefined ? undefined : Buffer.from(password),
  }, { protocolVersion: version });
}

export function subscribePacket(filter: string, qos: 0 | 1, messageId = 1, version: 4 | 5 = 4): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }] }, { protocolVersion: version });
}

export function pubackPacket(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** A telemetry payload that differs per message. */
export const PAYLOAD = (i: number): Buffer => Buffer.from(`{"temperature":2${i % 10}.${i % 7}5,"humidity":4${i % 9}.${i % 3},"battery":97,"rssi":-61}`);

/** ourhome/<floor>/<room>/<thing>/attrN: five levels not ending in /set or /status, so no convention makes a device of them. */
export function attributeTopics(count: number): string[] {
  const homes = homeTopics(1000);
  return Array.from({ length: count }, (_, i) => `${homes[i % 1000]}/attr${Math.floor(i / 1000)}`);
}
