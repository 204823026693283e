import type { Client } from 'aedes';
import { clientInternals, type AedesPacket, type PersistenceInternals } from './aedes-internals.js';
import type { MqttIdentity } from './identity.js';

/** MQTT 5 reason code 0x97 Quota exceeded, on the DISCONNECT [MQTT-3.14.2.1]. */
const quotaExceeded = 0x97;

export interface InboundQos2BudgetDeps {
  /** Bytes (topic + payload) of QoS 2 messages awaiting PUBREL one account may hold over all its connections. */
  bytes: number;
  identityOf(client: Client): MqttIdentity | undefined;
  onOver(client: Client, account: string, held: number): void;
}

/**
 * Unreleased inbound QoS 2 messages per account (issue 15, item 7). inbound-qos2-limit.ts bounds their count per
 * connection (mqtt.maxInflightInbound, 200); at up to 2 MiB each that is 400 MiB per connection, and an account may
 * open many. Here their bytes are summed per account (`mqtt.maxInflightInboundBytesPerAccount`); one message more is
 * refused like one too many: an MQTT 5 client gets DISCONNECT 0x97 Quota exceeded, a 3.1.1 client is disconnected, and
 * the message is neither stored nor published (the client resends it on a new connection [MQTT-4.3.3], by then
 * within budget if it released the others). Admins have no such budget. Installed under the count limit, so a message
 * refused here frees its slot there too.
 */
export function budgetInboundQos2(persistence: PersistenceInternals, deps: InboundQos2BudgetDeps): void {
  /** client id → message id → [account, bytes]; account → bytes held. */
  const held = new Map<string, Map<number, [string, number]>>();
  const byAccount = new Map<string, number>();
  const add = (account: string, bytes: number): void => {
    const next = (byAccount.get(account) ?? 0) + bytes;
    if (next <= 0) byAccount.delete(account);
    else byAccount.set(account, next);
  };
  const forget = (clientId: string, messageId: number | undefined): void => {
    const ids = held.get(clientId);
    const entry = ids?.get(messageId ?? 0);
    if (!ids || !entry) return;
    ids.delete(messageId ?? 0);
    if (ids.size === 0) held.delete(clientId);
    add(entry[0], -entry[1]);
  };
  const store = persistence.incomingStorePacket.bind(persistence);
  const release = persistence.incomingDelPacket.bind(persistence);
  const clean = persistence.cleanIncoming?.bind(persistence);
  persistence.incomingStorePacket = (client, packet: AedesPacket) => {
    const identity = deps.identityOf(client as unknown as Client);
    const id = packet.messageId ?? 0;
    // An admin's messages weigh nothing here, but are known, to be released one by one where the store cannot clean.
    const unbounded = !identity || identity.kind === 'admin';
    const bytes = unbounded ? 0 : Buffer.byteLength(packet.topic ?? '') + (packet.payload?.length ?? 0);
    // A DUP retransmission replaces its own entry.
    forget(client.id, id);
    const account = identity?.username ?? '';
    const after = (byAccount.get(account) ?? 0) + bytes;
    if (!unbounded && after > deps.bytes) {
      deps.onOver(client as unknown as Client, account, after - bytes);
      const c = clientInternals(client as unknown as Client);
      const err = new Error(`QoS 2 messages awaiting PUBREL over mqtt.maxInflightInboundBytesPerAccount (${deps.bytes} bytes) for the account`);
      if (c.version === 5) return new Promise((_resolve, reject) => c.disconnect({ reasonCode: quotaExceeded }, () => reject(err)));
      return Promise.reject(err);
    }
    let ids = held.get(client.id);
    if (!ids) held.set(client.id, (ids = new Map()));
    ids.set(id, [account, bytes]);
    add(account, bytes);
    return store(client, packet).catch((err: unknown) => {
      forget(client.id, id);
      throw err;
    });
  };
  persistence.incomingDelPacket = (client, packet) => {
    forget(client.id, packet.messageId);
    return release(client, packet);
  };
  persistence.cleanIncoming = (client) => {
    const ids = [...(held.get(client.id)?.keys() ?? [])];
    for (const messageId of ids) forget(client.id, messageId);
    if (clean) return clean(client);
    // aedes's memory store has no cleanIncoming: its messages are forgotten one by one (as inbound-qos2-limit.ts does).
    return Promise.all(ids.map((messageId) => release(client, { messageId }).catch(() => undefined)));
  };
}
