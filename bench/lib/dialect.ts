/**
 * How a bench client speaks MQTT: 3.1.1 (protocol level 4) or 5, and for MQTT 5 the properties every PUBLISH it
 * sends carries. Plain data, so it crosses the load generator's IPC as it is.
 */
export interface Dialect {
  version: 4 | 5;
  /** MQTT 5 only: properties on every PUBLISH (none when absent: a property length of 0). */
  publishProperties?: PublishProperties;
}

export interface PublishProperties {
  /** Message Expiry Interval, seconds [MQTT-3.3.2.3.3]. */
  messageExpiryInterval?: number;
  /** User Property pairs [MQTT-3.3.2.3.7]. */
  userProperties?: Record<string, string>;
}

export const MQTT311: Dialect = { version: 4 };
export const MQTT5: Dialect = { version: 5 };
/** MQTT 5 with the two properties a telemetry device is most likely to send: an expiry and one user property. */
export const MQTT5_PROPS: Dialect = { version: 5, publishProperties: { messageExpiryInterval: 3600, userProperties: { source: 'bench' } } };

export function dialectName(d: Dialect = MQTT311): string {
  if (d.version === 4) return 'MQTT 3.1.1';
  const p = d.publishProperties;
  if (!p) return 'MQTT 5';
  const parts = [
    ...(p.messageExpiryInterval !== undefined ? [`Message Expiry ${p.messageExpiryInterval} s`] : []),
    ...Object.entries(p.userProperties ?? {}).map(([k, v]) => `User Property ${k}=${v}`),
  ];
  return `MQTT 5 with ${parts.join(' and ')}`;
}
