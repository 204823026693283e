import type { MqttMessage } from '../../server/core/events.js';
import type { Capability, Device, StateValue } from '../../server/core/model.js';
import type { Convention, ConventionContext, ConventionFactory, ConventionUpdate, OutgoingMessage } from '../convention.js';
import { binaryFromWord, numberForCommand } from '../shared/capability.js';
import { guardHandle } from '../shared/guard.js';
import { foreignOwner, refuseForeign } from '../shared/ownership.js';
import { normalizeMac } from '../shared/ids.js';
import { MAX_DEVICES_PER_CONVENTION } from '../shared/limits.js';
import { isObject, parseJson, quote, readJsonObject, readText } from '../shared/payload.js';
import { UpdateBuilder } from '../shared/update.js';
import { descriptorOf, readConfig, type TasmotaDevice } from './discovery.js';
import { readSensors, type SensorReading } from './sensors.js';

// Tasmota (tasmota/docs MQTT.md; summary in docs/conventions.md). Accepted topic forms, where
// <stat>/<tele> are the device's FullTopic with the stat/tele prefix (default `stat/<topic>/`, `tele/<topic>/`):
//   tasmota/discovery/<MAC>/config    retained discovery; empty payload removes the device
//   tasmota/discovery/<MAC>/sensors   retained {"sn": <SENSOR JSON>} → numeric capabilities
//   <tele>LWT                         Online / Offline (the words from `onln`/`ofln`)
//   <tele>STATE, <stat>RESULT         JSON with POWER, POWER1..n, Dimmer
//   <stat>POWER, <stat>POWER<n>       ON / OFF
//   <tele>SENSOR                      sensor JSON → numeric states
// Other tele/stat topics (INFO, STATUS…) are claimed and ignored. Commands go to <cmnd>POWER<n> and <cmnd>Dimmer.

const DISCOVERY = 'tasmota/discovery/';
const POWER_KEY = /^POWER(\d*)$/;

interface Known {
  device?: TasmotaDevice;
  sensors: Map<string, Capability>;
}

export const createTasmotaConvention: ConventionFactory = (ctx: ConventionContext): Convention => {
  const log = ctx.log.child({ convention: 'tasmota' });
  const byMac = new Map<string, Known>();
  const byPrefix = new Map<string, string>();

  const known = (mac: string): Known => {
    let k = byMac.get(mac);
    if (!k) byMac.set(mac, (k = { sensors: new Map() }));
    return k;
  };
  const descriptor = (k: Known) => descriptorOf(k.device!, [...k.sensors.values()]);

  /** New sensor readings become capabilities; the device is re-announced only when one was new. */
  function learnSensors(k: Known, readings: SensorReading[], out: UpdateBuilder): void {
    const before = k.sensors.size;
    for (const r of readings) if (!k.sensors.has(r.capability.property)) k.sensors.set(r.capability.property, r.capability);
    if (k.sensors.size !== before && k.device) out.device(descriptor(k));
  }

  function discovery(msg: MqttMessage, out: UpdateBuilder): void {
    const [mac, kind] = msg.topic.slice(DISCOVERY.length).split('/');
    if (!mac || !normalizeMac(mac) || (kind !== 'config' && kind !== 'sensors')) return;
    const id = normalizeMac(mac)!;
    if (kind === 'config' && msg.payload.length === 0) {
      const gone = byMac.get(id);
      if (gone?.device) {
        byPrefix.delete(gone.device.stat);
        byPrefix.delete(gone.device.tele);
        out.remove(id);
      }
      byMac.delete(id);
      return;
    }
    if (msg.payload.length === 0) return;
    const json = readJsonObject(msg);
    if (!json.ok) return void out.reject(`${msg.topic}: ${json.reason}`, id);
    if (!byMac.has(id) && byMac.size >= MAX_DEVICES_PER_CONVENTION) return void out.reject(`already ${MAX_DEVICES_PER_CONVENTION} Tasmota devices; refusing ${id}`, id);
    const k = known(id);
    if (kind === 'sensors') {
      if (!isObject(json.value.sn)) return void out.reject(`${msg.topic}: "sn" must be the sensor JSON object`, id);
      return learnSensors(k, readSensors(json.value.sn), out);
    }
    const { device, errors } = readConfig(json.value, mac);
    if (!device) return void out.reject(`${msg.topic}: ${errors.join('; ')}`, id);
    // Its prefixes already route another account's device: taking them would move that device's telemetry here.
    for (const p of [device.stat, device.tele]) {
      const holder = byPrefix.get(p);
      const owner = holder !== undefined && holder !== id ? foreignOwner(ctx, holder, msg) : undefined;
      if (owner) return void refuseForeign(out, msg, `${msg.topic}: ${p} is the topic of ${holder}, a device of account ${owner}; refused`, holder!);
    }
    const first = !k.device;
    if (k.device) {
      byPrefix.delete(k.device.stat);
      byPrefix.delete(k.device.tele);
    }
    k.device = device;
    byPrefix.set(device.stat, id);
    byPrefix.set(device.tele, id);
    out.device(descriptor(k));
    // Ask for the current relay states once: `State` answers on <stat>RESULT (tasmota/docs Commands.md).
    if (first) out.send({ topic: `${device.cmnd}STATE`, payload: '', qos: 1, retain: false });
  }

  function powers(k: Known, obj: Record<string, unknown>, out: UpdateBuilder): void {
    const d = k.device!;
    for (const [key, raw] of Object.entries(obj)) {
      const m = POWER_KEY.exec(key);
      if (m) {
        // SetOption26 makes a single relay answer as POWER1: it is still `power`.
        let cap = d.capabilities.find((c) => c.property === key.toLowerCase());
        if (!cap && m[1] === '1') cap = d.capabilities.find((c) => c.property === 'power');
        const value = cap && binaryFromWord(cap, raw as StateValue);
        if (cap && value !== undefined) out.state(d.mac, cap.property, value);
      } else if (key === 'Dimmer' && typeof raw === 'number' && d.capabilities.some((c) => c.property === 'dimmer')) {
        out.state(d.mac, 'dimmer', raw);
      }
    }
  }

  function telemetry(k: Known, leaf: string, isTele: boolean, text: string, out: UpdateBuilder): void {
    const d = k.device!;
    if (isTele && leaf === 'LWT') {
      if (text === d.online || text === d.offline) out.avail(d.mac, text === d.online ? 'online' : 'offline');
      else out.reject(`LWT must be ${d.online} or ${d.offline}, got ${quote(text)}`, d.mac);
      return;
    }
    if (!isTele && POWER_KEY.test(leaf)) return powers(k, { [leaf]: text }, out);
    const json = (isTele && (leaf === 'STATE' || leaf === 'SENSOR')) || (!isTele && leaf === 'RESULT') ? parseJson(text) : undefined;
    if (!json) return;
    if (!json.ok || !isObject(json.value)) return void out.reject(`${leaf}: expected a JSON object`, d.mac);
    if (leaf === 'SENSOR') {
      const readings = readSensors(json.value);
      learnSensors(k, readings, out);
      for (const r of readings) if (k.sensors.has(r.capability.property)) out.state(d.mac, r.capability.property, r.value);
    } else powers(k, json.value, out);
  }

  const handle = (msg: MqttMessage): ConventionUpdate | undefined => {
    const out = new UpdateBuilder();
    if (msg.topic.startsWith(DISCOVERY)) discovery(msg, out);
    else {
      const cut = msg.topic.lastIndexOf('/') + 1;
      const mac = byPrefix.get(msg.topic.slice(0, cut));
      const k = mac === undefined ? undefined : byMac.get(mac);
      if (k?.device && msg.payload.length > 0) {
        const text = readText(msg);
        if (!text.ok) out.reject(`${msg.topic}: ${text.reason}`, mac);
        else telemetry(k, msg.topic.slice(cut), msg.topic.slice(0, cut) === k.device.tele, text.value, out);
      }
    }
    return out.build();
  };

  return {
    name: 'tasmota',
    claims: (topic) => topic.startsWith(DISCOVERY) || byPrefix.has(topic.slice(0, topic.lastIndexOf('/') + 1)),
    ownedFilters(device: Device): string[] {
      if (device.convention !== 'tasmota') return [];
      const d = byMac.get(device.id)?.device;
      const prefixes = d ? [d.cmnd, d.stat, d.tele] : prefixesFrom(device);
      return [`${DISCOVERY}${device.id}/#`, ...prefixes.map((p) => `${p}#`)];
    },
    handle: guardHandle('tasmota', log, handle),

    encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined {
      const d = byMac.get(device.id)?.device;
      const cap = d?.capabilities.find((c) => c.property === property);
      if (!d || !cap) return undefined;
      let command: string;
      let payload: string | undefined;
      if (cap.kind === 'binary') {
        command = property.toUpperCase();
        const state = typeof value === 'string' && value.toLowerCase() === 'toggle' ? 'toggle' : binaryFromWord(cap, value);
        payload = state === 'toggle' ? d.toggle : state === undefined ? undefined : state ? d.on : d.off;
      } else {
        command = 'Dimmer';
        const n = numberForCommand(value);
        payload = n !== undefined && n >= 0 && n <= 100 ? String(Math.round(n)) : undefined;
      }
      return payload === undefined ? undefined : { topic: `${d.cmnd}${command}`, payload, qos: 1, retain: false };
    },
  };
};

/**
 * The cmnd/stat/tele prefixes of a device known only from its stored topics (after a restart, before discovery is
 * replayed): its tele prefix is that of its state topic `<tele>STATE`; FullTopic puts the same words in the same
 * places for all three (`%prefix%` is one level), so the others are the tele prefix with that level replaced.
 */
function prefixesFrom(device: Device): string[] {
  const tele = device.topic.slice(0, device.topic.lastIndexOf('/') + 1);
  const levels = tele.split('/');
  const at = levels.indexOf('tele');
  if (at < 0) return tele ? [tele] : [];
  const swap = (word: string) => levels.map((l, i) => (i === at ? word : l)).join('/');
  return [swap('cmnd'), swap('stat'), tele];
}
