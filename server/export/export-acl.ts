import type { MqttAcl } from '../mqtt/identity.js';
import { exportedDeviceOf, hubStatusTopic, isExportConfigTopic } from './ha-topics.js';

/**
 * The Home Assistant export's topics are the hub's: `rumah/<id>/state` carries a device's state, so another device
 * account must not read it, and must not write it (HA would show what it wrote) — the pairing ACL would allow both,
 * because no device owns them (devices/pairing/acl.ts: an unowned exact topic is free). Device accounts without
 * topic filters are refused here; admins (Home Assistant's login) and accounts with filters are decided as before.
 * Command topics are not guarded here: the export checks the account of each command itself (ha-discovery.ts).
 */
export function guardExportTopics(inner: MqttAcl): MqttAcl {
  const guarded = (topic: string): boolean => exportedDeviceOf(topic) !== undefined || topic === hubStatusTopic || isExportConfigTopic(topic);
  const why = 'the hub\'s Home Assistant export topic (docs/exports.md)';
  const acl: MqttAcl = {
    publish: (identity, topic, clientId) => (identity.kind === 'device' && !identity.acl && guarded(topic) ? why : inner.publish(identity, topic, clientId)),
    subscribe: (identity, filter, clientId) => (identity.kind === 'device' && !identity.acl && guarded(filter) ? why : inner.subscribe(identity, filter, clientId)),
  };
  if (inner.forward) acl.forward = (identity, topic) => inner.forward!(identity, topic);
  return acl;
}
