import type { Broker } from '../mqtt/broker.js';
import type { MqttAcl } from '../mqtt/identity.js';
import { aedesInternals } from '../mqtt/aedes-internals.js';
import { malformedText } from '../mqtt/topics.js';

export interface WillUpdate {
  topic?: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  payload?: Buffer;
  remove?: boolean;
}

interface AedesWill {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/**
 * §6.4 WILLTOPICUPD / WILLMSGUPD: MQTT 3.1.1 has no way to change a will on an open connection, so the gateway
 * changes it on the broker's client itself (aedes keeps it in `client.will` and, for a durable store, in its
 * persistence: both are updated). The new topic passes the same checks a CONNECT's will does (well-formed, the
 * account's ACL). Returns why it was refused, or undefined.
 */
export function updateWill(broker: Broker, acl: MqttAcl | undefined, clientId: string, update: WillUpdate): string | undefined {
  const internals = aedesInternals(broker.aedes);
  const client = internals.clients[clientId] as unknown as ({ will: AedesWill | null; id: string; broker: unknown }) | undefined;
  if (!client) return 'not connected';
  const persistence = internals.persistence as unknown as { putWill?(c: unknown, w: AedesWill): Promise<unknown>; delWill(c: { id: string; brokerId?: string }): Promise<unknown> };
  if (update.remove) {
    client.will = null;
    persistence.delWill({ id: clientId, brokerId: internals.id }).catch(() => undefined);
    return undefined;
  }
  const current = client.will;
  if (!current && update.topic === undefined) return 'no will topic to go with this will message';
  const next: AedesWill = { topic: update.topic ?? current!.topic, payload: update.payload ?? current?.payload ?? Buffer.alloc(0), qos: update.qos ?? current?.qos ?? 0, retain: update.retain ?? current?.retain ?? false };
  if (update.topic !== undefined) {
    const malformed = malformedText(next.topic) ?? (/[+#]/.test(next.topic) ? 'a will topic has no wildcards' : undefined);
    if (malformed) return malformed;
    const identity = broker.identities.get(client as never);
    const denied = identity && acl?.publish(identity, next.topic, clientId);
    if (denied) return denied;
  }
  client.will = next;
  persistence.putWill?.(client, next)?.catch(() => undefined);
  return undefined;
}
