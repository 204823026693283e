import mqttPacket from 'mqtt-packet';
import { checkPropertyBlock } from '../../server/mqtt/v5-guard.js';
import { dialectName, MQTT311, MQTT5, MQTT5_PROPS, type Dialect } from './dialect.js';
import { homeTopics, publishTemplate, writePublish } from './packets.js';
import { median } from './stats.js';

/**
 * What MQTT 5 costs per message in the codec alone, in this process: the fan-in's QoS 1 PUBLISH parsed as the hub's
 * parser does (mqtt-packet, fed ~64 KiB reads), the same with the hub's MQTT 5 property-block check
 * (server/mqtt/v5-guard.ts `checkPropertyBlock`, hooked where mqtt5Guard hooks it), and the copy for the subscriber
 * encoded (mqtt-packet generate). CPU ns per message (process CPU time, not wall time: the machine is shared),
 * median of rounds in rotated order.
 */
export interface CodecCost {
  dialect: Dialect;
  parseNs: number;
  /** Parse with the v5 property-block check (MQTT 5 only; NaN for 3.1.1, which the guard leaves alone). */
  guardedParseNs: number;
  encodeNs: number;
}

const PACKETS_PER_READ = 650;
const ROUNDS = 7;
const ROUND_MS = 200;

interface ParserInternals {
  _list: unknown;
  _pos: number;
  packet: { length: number };
  _parseProperties(): unknown;
}

function cpuNs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) * 1000;
}

/** ~64 KiB of consecutive QoS 1 publishes on 1,000 topics, as a socket read brings them. */
function read(d: Dialect): Buffer {
  const templates = homeTopics(1000).map((t) => publishTemplate(t, 1, undefined, d));
  const size = templates.slice(0, PACKETS_PER_READ).reduce((s, t) => s + t.bytes.length, 0);
  const out = Buffer.alloc(size);
  let at = 0;
  for (let i = 0; i < PACKETS_PER_READ; i++) at = writePublish(templates[i]!, out, at, i, (i % 65535) + 1);
  return out;
}

/** ns per packet parsing `chunk` for `ms`. */
function timeParse(d: Dialect, chunk: Buffer, guarded: boolean, ms: number): number {
  const parser = mqttPacket.parser({ protocolVersion: d.version });
  let packets = 0;
  parser.on('packet', () => packets++);
  if (guarded) {
    const p = parser as unknown as ParserInternals;
    const parseProperties = p._parseProperties;
    p._parseProperties = function (this: ParserInternals) {
      checkPropertyBlock(this._list as Parameters<typeof checkPropertyBlock>[0], this._pos, this.packet.length, 'publish');
      return parseProperties.call(this);
    };
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - t0 < ms) parser.parse(chunk);
  return cpuNs(cpu0) / packets;
}

/** ns per packet encoding the subscriber's copy (as aedes hands it to mqtt-packet) for `ms`. */
function timeEncode(d: Dialect, ms: number): number {
  const payload = Buffer.from('{"temperature":21.37,"humidity":47.6,"battery":97,"rssi":-61}');
  const properties = d.version === 5 ? d.publishProperties : undefined;
  const packet = { cmd: 'publish' as const, topic: homeTopics(1)[0]!, payload, qos: 1 as const, messageId: 42, retain: false, dup: false, ...(properties ? { properties } : {}) };
  const opts = { protocolVersion: d.version };
  let n = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 1000; i++) mqttPacket.generate(packet, opts);
    n += 1000;
  }
  return cpuNs(cpu0) / n;
}

export function codecCost(dialects: Dialect[] = [MQTT311, MQTT5, MQTT5_PROPS]): CodecCost[] {
  const chunks = dialects.map(read);
  const samples = dialects.map(() => ({ parse: [] as number[], guarded: [] as number[], encode: [] as number[] }));
  // Warm-up, then rounds with the order rotated.
  dialects.forEach((d, i) => timeParse(d, chunks[i]!, d.version === 5, 100));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < dialects.length; k++) {
      const i = (r + k) % dialects.length;
      const d = dialects[i]!;
      samples[i]!.parse.push(timeParse(d, chunks[i]!, false, ROUND_MS));
      if (d.version === 5) samples[i]!.guarded.push(timeParse(d, chunks[i]!, true, ROUND_MS));
      samples[i]!.encode.push(timeEncode(d, ROUND_MS));
    }
  }
  return dialects.map((dialect, i) => ({
    dialect, parseNs: median(samples[i]!.parse), guardedParseNs: median(samples[i]!.guarded), encodeNs: median(samples[i]!.encode),
  }));
}

export const codecLabel = (c: CodecCost): string => dialectName(c.dialect);
