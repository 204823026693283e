import type { AedesOptions } from 'aedes';
import type { Config } from '../config/schema.js';

/**
 * The broker's limits as aedes takes them (server/mqtt/broker.ts adds the hooks). MQTT 5 limits are advertised in the
 * CONNACK.
 */
export function aedesLimits(c: Config['mqtt']): Partial<AedesOptions> {
  return {
    // Messages mqemitter routes at once. Past it, it queues and drains with Array.shift() (30% of a saturated
    // bare aedes's time, measured). drainTimeout bounds the cost aedes warns of: a frozen subscriber holding
    // slots until it is dropped.
    concurrency: 1000,
    connectTimeout: c.connectTimeout,
    drainTimeout: c.drainTimeout,
    keepaliveLimit: c.keepaliveLimit,
    maxClientsIdLength: c.maxClientIdLength,
    maxTopicLevels: c.maxTopicLevels,
    // maximumPacketSize is also the 3.1.1 limit: aedes checks the length
    // as soon as a fixed header is read, before the body is buffered, and drops the client (a v5 one with 0x95).
    maximumPacketSize: c.maxPacketSize,
    topicAliasMaximum: c.topicAliasMaximum,
    receiveMaximum: c.maxInflightInbound,
    sessionExpiryIntervalLimit: c.maxSessionExpiry,
    pendingSessionsLimit: c.maxExpiringSessions,
  };
}
