import { createHash } from 'node:crypto';

// The topics of the Home Assistant export, defined once (docs/exports.md "Home Assistant discovery").
//   homeassistant/device/rumah_<object id>/config   device-based discovery, retained; empty retained payload removes it
//   rumah/status                                     the hub: online while it runs, offline after a clean stop (retained)
//   rumah/<device id>/state                          the device's state as rumah knows it, one JSON object (retained)
//   rumah/<device id>/availability                   online | offline (retained)
//   rumah/<device id>/<property>/set                 commands from HA, carried out through api.devices.command()
// Three levels for state and availability: four would be read as a native device (`<home>/<floor>/<room>/<thing>`).
// The four-level command topic would be too, so the hub keeps those (and its own discovery configs, which its
// Home Assistant convention would otherwise read back as new devices) away from the registry: isOwnExportTopic.

export const discoveryPrefix = 'homeassistant';
export const haStatusTopic = `${discoveryPrefix}/status`;
export const hubStatusTopic = 'rumah/status';
const objectPrefix = 'rumah_';
const configPrefix = `${discoveryPrefix}/device/${objectPrefix}`;

/**
 * HA allows only `[a-zA-Z0-9_-]` in an object id. Device ids are `[A-Za-z0-9_.:-]` (devices/shared/ids.ts); an id
 * with `.` or `:` gets a hash of itself so that `a.b` and `a:b` stay two objects.
 */
export function objectId(deviceId: string): string {
  const clean = deviceId.replace(/[^A-Za-z0-9_-]/g, '_');
  if (clean === deviceId) return objectPrefix + clean;
  return `${objectPrefix}${clean}_${createHash('sha256').update(deviceId).digest('hex').slice(0, 8)}`;
}

export function configTopic(deviceId: string): string {
  return `${discoveryPrefix}/device/${objectId(deviceId)}/config`;
}

export const stateTopic = (deviceId: string): string => `rumah/${deviceId}/state`;
export const availabilityTopic = (deviceId: string): string => `rumah/${deviceId}/availability`;
export const commandTopic = (deviceId: string, property: string): string => `rumah/${deviceId}/${property}/set`;

/** The device and property of a command topic, or undefined. */
export function parseCommandTopic(topic: string): { deviceId: string; property: string } | undefined {
  if (!topic.startsWith('rumah/') || !topic.endsWith('/set')) return undefined;
  const levels = topic.split('/');
  if (levels.length !== 4 || !levels[1] || !levels[2]) return undefined;
  return { deviceId: levels[1], property: levels[2] };
}

/**
 * Topics the export owns that the registry must not read: its discovery configs (the hub's own HA convention would
 * make a second device of each) and the command topics (the native convention would make a device of each).
 * Called for every message: two prefix tests.
 */
export function isOwnExportTopic(topic: string): boolean {
  return topic.startsWith(configPrefix) || (topic.startsWith('rumah/') && parseCommandTopic(topic) !== undefined);
}

/** A retained topic the export may have published for some device: its id, or undefined. */
export function exportedDeviceOf(topic: string): string | undefined {
  // Asked for every publish by a device account (export-acl.ts): most topics are not the export's, and need no split.
  if (!topic.startsWith('rumah/')) return undefined;
  const levels = topic.split('/');
  if (levels.length === 3 && levels[0] === 'rumah' && (levels[2] === 'state' || levels[2] === 'availability')) return levels[1];
  return undefined;
}

export function isExportConfigTopic(topic: string): boolean {
  return topic.startsWith(configPrefix) && topic.endsWith('/config') && topic.split('/').length === 4;
}
