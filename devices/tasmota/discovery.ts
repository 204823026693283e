import type { Capability } from '../../server/core/model.js';
import type { DeviceDescriptor } from '../convention.js';
import { accessOf } from '../shared/capability.js';
import { Fields } from '../shared/fields.js';
import { normalizeMac } from '../shared/ids.js';

// Tasmota native discovery `tasmota/discovery/<MAC>/config` (retained), with the keys 9.3–15.x firmware emits:
// `mac`, `t` (topic), `ft` (FullTopic), `tp` (prefixes cmnd/stat/tele), `dn` (device name), `hn` (host name),
// `rl` (per relay: 0 none, 1 relay, 2 light), `lt_st` (light subtype), `state` (OFF/ON/TOGGLE/HOLD words),
// `onln`/`ofln` (LWT words). Topics are rebuilt from FullTopic (tasmota/docs MQTT.md "FullTopic").

export interface TasmotaDevice {
  mac: string;
  name: string;
  cmnd: string;
  stat: string;
  tele: string;
  on: string;
  off: string;
  toggle: string;
  online: string;
  offline: string;
  capabilities: Capability[];
}

export function readConfig(config: Record<string, unknown>, topicMac: string): { device?: TasmotaDevice; errors: string[] } {
  const r = new Fields(config);
  const macText = r.str('mac', true);
  const topic = r.str('t', true);
  const fullTopic = r.str('ft') ?? '%prefix%/%topic%/';
  const prefixes = r.strList('tp') ?? ['cmnd', 'stat', 'tele'];
  const relays = r.list('rl') ?? [];
  const words = r.strList('state') ?? ['OFF', 'ON', 'TOGGLE', 'HOLD'];
  const name = r.str('dn') ?? r.str('hn');
  const hostname = r.str('hn') ?? '';
  const online = r.str('onln') ?? 'Online';
  const offline = r.str('ofln') ?? 'Offline';
  const lightType = r.num('lt_st') ?? 0;
  const mac = macText === undefined ? undefined : normalizeMac(macText);
  if (macText !== undefined && !mac) r.fail('mac', `expected 12 hex digits, got ${JSON.stringify(macText)}`);
  if (mac && mac !== normalizeMac(topicMac)) r.fail('mac', `${mac} does not match the topic's ${topicMac}`);
  if (prefixes.length < 3) r.fail('tp', 'expected the three prefixes [cmnd, stat, tele]');
  if (!fullTopic.includes('%prefix%') || !fullTopic.includes('%topic%')) r.fail('ft', 'FullTopic must contain %prefix% and %topic%');
  if (words.length < 3) r.fail('state', 'expected [OFF, ON, TOGGLE, HOLD]');
  if (r.errors.length || !mac || topic === undefined) return { errors: r.errors };

  const full = (prefix: string) => {
    const t = fullTopic.replaceAll('%prefix%', prefix).replaceAll('%topic%', topic).replaceAll('%hostname%', hostname).replaceAll('%id%', mac);
    return t.endsWith('/') ? t : `${t}/`;
  };
  const relayIndexes = relays.flatMap((kind, i) => (typeof kind === 'number' && kind > 0 ? [i] : []));
  // One relay answers as POWER, several as POWER1..n (Tasmota: the index is added only when devices_present > 1).
  const capabilities: Capability[] = relayIndexes.map((i) => ({
    property: relayIndexes.length === 1 ? 'power' : `power${i + 1}`,
    kind: 'binary',
    access: accessOf(true, true, true),
    on: words[1]!,
    off: words[0]!,
  }));
  if (relays.includes(2) && lightType > 0) {
    capabilities.push({ property: 'dimmer', kind: 'numeric', access: accessOf(true, true, true), min: 0, max: 100, step: 1, unit: '%' });
  }
  return {
    errors: [],
    device: {
      mac, name: name ?? mac, cmnd: full(prefixes[0]!), stat: full(prefixes[1]!), tele: full(prefixes[2]!),
      on: words[1]!, off: words[0]!, toggle: words[2]!, online, offline, capabilities,
    },
  };
}

export function descriptorOf(d: TasmotaDevice, sensors: Capability[]): DeviceDescriptor {
  const relay = d.capabilities.find((c) => c.kind === 'binary');
  return {
    id: d.mac,
    name: d.name,
    convention: 'tasmota',
    topic: `${d.tele}STATE`,
    ...(relay ? { commandTopic: `${d.cmnd}${relay.property.toUpperCase()}` } : {}),
    availabilityTopic: `${d.tele}LWT`,
    capabilities: [...d.capabilities, ...sensors],
  };
}
