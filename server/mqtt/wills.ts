import type { Aedes, Client } from 'aedes';
import type { Logger } from '../core/logger.js';
import { aedesInternals, clientInternals } from './aedes-internals.js';
import type { OutgoingPublish } from './broker.js';
import type { MqttIdentity } from './identity.js';
import { connectionTopicClient } from './bridge-clients.js';
import { isCommandTopic } from './topics.js';

/**
 * A will is checked when it is given, not only when it is published: aedes stores it at CONNECT and a hub that
 * crashed publishes it at the next start, when the client is gone and nothing checks it any more. A will the client
 * could not publish itself (`refused` gives the reason) is dropped — a device's will on another device's command
 * topic would have switched it after a crash — and so is a pairing candidate's (it is nobody's device yet; it
 * reconnects once accepted).
 */
export function authorizeWill(client: Client, identity: MqttIdentity, refused: (topic: string) => string | undefined, log: Logger): void {
  const c = clientInternals(client);
  const will = c._will;
  if (!will) return;
  if (identity.kind === 'candidate') {
    c._will = null;
    return;
  }
  const denied = refused(will.topic);
  if (denied) {
    c._will = null;
    log.info({ clientId: c.id, username: identity.username, topic: will.topic, denied }, 'will refused; the client is connected without it');
    return;
  }
  // As for its publishes: no ghost switching, and no retained message per bridge client id (bridge-clients.ts).
  if (will.retain && (isCommandTopic(will.topic) || connectionTopicClient(will.topic) !== undefined)) will.retain = false;
}

/**
 * Wills left by clients of a previous run (killed with the hub) are published at start. aedes does it too, but only
 * on its will sweep every 4 heartbeats (4 minutes): a device that died with the hub would look alive that long.
 * Every stored will that is not this broker's is orphaned, as one hub process owns its broker.db.
 */
export async function publishOrphanedWills(aedes: Aedes, publish: (will: OutgoingPublish) => Promise<void>, log: Logger): Promise<void> {
  const persistence = aedesInternals(aedes).persistence;
  let published = 0;
  for await (const will of persistence.streamWill({ [aedes.id]: Date.now() })) {
    // With its properties: the OutgoingPublish built from the stored will lost them (user properties, content type,
    // message expiry) for every will published at start.
    const { topic, payload, qos, retain, properties } = withoutWillDelay(will);
    await publish({ topic, payload, qos, retain, properties });
    await persistence.delWill({ id: will.clientId, brokerId: will.brokerId });
    published++;
  }
  if (published) log.info({ published }, 'published the wills of clients cut off by the last stop');
}

/**
 * A will's Will Delay Interval says when the broker publishes it; it is a CONNECT property, not a PUBLISH one, and
 * aedes 2.0.0-beta.1 sent it along in the published will (moscajs/aedes#1098): strict clients (Paho's codec) refuse
 * that PUBLISH as malformed. The will is published without it; its other properties (user properties, content type,
 * message expiry…) go as the client gave them.
 */
export function withoutWillDelay<T extends { properties?: Record<string, unknown> }>(will: T): T {
  if (will.properties?.willDelayInterval === undefined) return will;
  const { willDelayInterval: _, ...properties } = will.properties;
  return { ...will, properties: Object.keys(properties).length ? properties : undefined };
}

/** Makes aedes publish every will without its Will Delay Interval (withoutWillDelay). */
export function stripWillDelay(aedes: Aedes): void {
  const a = aedesInternals(aedes);
  const publishWill = a.publishWill.bind(aedes);
  a.publishWill = (client, will) => publishWill(client, withoutWillDelay(will as { properties?: Record<string, unknown> }));
}
