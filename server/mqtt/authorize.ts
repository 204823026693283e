import type { Client, Subscription } from 'aedes';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../core/event-bus.js';
import type { Config } from '../config/schema.js';
import type { AccountBudget } from './account-budget.js';
import type { AccountStorage } from './account-storage.js';
import type { DurablePublish } from './durable-publish.js';
import type { FlowControl } from './flow-control.js';
import type { MqttAcl, MqttIdentity } from './identity.js';
import { clientInternals } from './aedes-internals.js';
import { announcedState, isOwnConnectionTopic } from './bridge-clients.js';
import { isSharedTopic } from './shared-subscriptions.js';
import { sinkTopic } from './sink.js';
import { isCommandTopic, malformedText, sysPrefix } from './topics.js';

export interface AuthorizeDeps {
  config: Config['mqtt'];
  log: Logger;
  /** The broker's gated bus (start-gate.ts): only emit is used. */
  bus: Pick<EventBus, 'emit'>;
  acl?: MqttAcl;
  identities: WeakMap<Client, MqttIdentity>;
  counters: { deniedPublishes: number; deniedSubscribes: number; retainStripped: number; malformedPackets: number };
  storage: AccountStorage;
  durable: DurablePublish;
  flow: FlowControl;
  budget: AccountBudget;
}

/**
 * What the broker lets a logged-in client publish and subscribe (aedes's authorizePublish and authorizeSubscribe):
 * malformed topics, reserved topics, the ACL, retained commands, then the account's storage quota, its budget, the
 * client's flow control, and the durable store before the PUBACK. Refusals are answered as each protocol version
 * allows (MQTT 5 reason codes; 3.1.1 acknowledged and dropped, or the connection closed where the README says so).
 */
export class Authorizer {
  constructor(private readonly deps: AuthorizeDeps) {}

  /**
   * A malformed packet ends its connection: an MQTT 5 client is told with DISCONNECT 0x81 (Malformed Packet); a
   * 3.1.1 client is closed by aedes on the error returned. Only that client is affected.
   */
  malformed(client: Client, why: string): Error {
    this.deps.counters.malformedPackets++;
    this.deps.log.info({ clientId: client.id, username: this.deps.identities.get(client)?.username, why }, 'malformed packet; connection closed');
    const c = clientInternals(client);
    if (c.version === 5) c.disconnect({ reasonCode: 0x81 });
    return new Error(why);
  }

  /** Why no client may publish on this topic, whoever it is; undefined when it may. */
  topicRefused(topic: string, clientId?: string): string | undefined {
    if (topic.startsWith(sysPrefix)) return isOwnConnectionTopic(topic, clientId) ? undefined : '$SYS/ topics are reserved for the broker';
    if (isSharedTopic(topic)) return '$share/ names shared subscriptions, not a topic';
    const max = this.deps.config.maxTopicLength;
    if (Buffer.byteLength(topic) > max) return `topic longer than mqtt.maxTopicLength (${max} bytes)`;
    return undefined;
  }

  /** A refused 3.1.1 publish: acknowledged, and routed nowhere but the sink (sink.ts). */
  private sunk(packet: { topic: string; retain: boolean }): null {
    packet.topic = sinkTopic;
    packet.retain = false;
    return null;
  }

  publish(client: Client | null, packet: { topic: string; retain: boolean }, cb: (err?: Error | null) => void): void {
    if (!client) return cb(null);
    // Only a client whose login succeeded has an identity; anything else reaching here is refused (see preConnect).
    if (!this.deps.identities.has(client)) return cb(new Error('not logged in: PUBLISH before CONNACK'));
    const topic = packet.topic;
    const malformed = malformedText(topic);
    if (malformed) return cb(this.malformed(client, `PUBLISH topic ${malformed}`));
    const identity = this.deps.identities.get(client);
    const ownConnection = identity?.kind !== 'candidate' && isOwnConnectionTopic(topic, client.id);
    const refused = this.topicRefused(topic, ownConnection ? client.id : undefined);
    if (refused) {
      if (!topic.startsWith(sysPrefix)) this.deps.counters.deniedPublishes++;
      if (clientInternals(client).version === 5) return cb(refusal(refused));
      // 3.1.1, `$SYS/`: acknowledged and dropped like an ACL denial below; closing made bridges reconnect forever
      // (bridge-clients.ts). A topic over the limits still ends the connection: no client sends one by mistake.
      return cb(topic.startsWith(sysPrefix) ? this.sunk(packet) : new Error(refused));
    }
    if (ownConnection) this.deps.bus.emit('bridgeState', { clientId: client.id, state: announcedState(packet) });
    if (this.deps.acl && identity && !ownConnection) {
      const denied = this.deps.acl.publish(identity, topic, client.id);
      if (denied) {
        this.deps.counters.deniedPublishes++;
        this.deps.log.info({ clientId: client.id, username: identity.username, topic, denied }, 'publish denied');
        // MQTT 5: aedes answers PUBACK/PUBREC 0x87 (Not authorized) with this Reason String, which says no more
        // than that (whose topic it is stays in the log), and keeps the connection.
        if (clientInternals(client).version === 5) return cb(refusal('not authorized for this topic'));
        // MQTT 3.1.1 has no negative PUBACK. Like mosquitto we acknowledge and drop it, so one bad topic does not
        // cut a device off; it ends at the sink (sink.ts).
        return cb(this.sunk(packet));
      }
    }
    if (packet.retain && isCommandTopic(topic)) {
      // A retained command is replayed to the device at every reconnect and switches it again ("ghost
      // switching", a known Tasmota plague): commands are delivered, never stored as retained.
      packet.retain = false;
      this.deps.counters.retainStripped++;
    }
    if (packet.retain && identity && this.deps.storage.quotas.refuseRetained(client, identity, packet, cb)) return;
    // The usual case first, without closures per message: the account's budget and the client's flow have room now.
    const budgeted = this.deps.budget.tryAdmit(client, identity, packet);
    if (budgeted && this.deps.flow.tryAdmit(client.id)) return this.deps.durable.admitted(client, packet, cb);
    const admitted = (): void => this.deps.durable.admitted(client, packet, cb);
    if (budgeted) return this.deps.flow.admit(client.id, admitted);
    const next = (): void => (this.deps.flow.tryAdmit(client.id) ? admitted() : this.deps.flow.admit(client.id, admitted));
    this.deps.budget.admit(client, identity, packet, next);
  }

  subscribe(client: Client, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void): void {
    if (!this.deps.identities.has(client)) return cb(new Error('not logged in: SUBSCRIBE before CONNACK'));
    const malformed = malformedText(sub.topic);
    if (malformed) return cb(this.malformed(client, `SUBSCRIBE filter ${malformed}`));
    if (Buffer.byteLength(sub.topic) > this.deps.config.maxTopicLength) {
      this.deps.counters.deniedSubscribes++;
      return cb(null, null);
    }
    if (sub.topic.startsWith(sysPrefix) && this.deps.identities.get(client)?.kind !== 'admin') return cb(null, null);
    const identity = this.deps.identities.get(client);
    if (this.deps.acl && identity) {
      const denied = this.deps.acl.subscribe(identity, sub.topic, client.id);
      if (denied) {
        this.deps.counters.deniedSubscribes++;
        this.deps.log.info({ clientId: client.id, username: identity.username, filter: sub.topic, denied }, 'subscribe denied');
        return cb(null, null); // [MQTT-3.9.3] SUBACK return code 0x80 for this filter
      }
    }
    cb(null, sub);
  }
}

/** Marks a refusal aedes answers with 0x87 to an MQTT 5 client, so the 'clientError' it also emits is not logged twice. */
export const deniedCode = 'RUMAH_MQTT_DENIED';
function refusal(reason: string): Error {
  return Object.assign(new Error(reason), { code: deniedCode });
}
