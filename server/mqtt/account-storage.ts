import type { Aedes, Client } from 'aedes';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { PersistenceInternals } from './aedes-internals.js';
import { ClientIdOwners, ownerStorageOf, type IdRefusal } from './client-id-owner.js';
import { budgetInboundQos2 } from './inbound-qos2-budget.js';
import type { MqttIdentity } from './identity.js';
import { StorageQuotas } from './storage-quotas.js';

export interface AccountStorageDeps {
  config: Config['mqtt'];
  log: Logger;
  counters: { clientIdRefused: number; sessionQuotaRefused: number; retainedQuotaRefused: number; queuedDropped: number; inboundQos2QuotaExceeded: number };
  identities: WeakMap<Client, MqttIdentity>;
  /** aedes's connected clients by id. */
  clients(): Record<string, Client>;
  /** Usernames of clients that just left, for their last messages. */
  departed: Map<string, string>;
}

/**
 * What each account holds in the broker (issue 15, items 3 and 7), wired into broker.ts in one place: who owns each
 * client id and persistent session (client-id-owner.ts) and the storage quotas (storage-quotas.ts).
 */
export class AccountStorage {
  readonly quotas: StorageQuotas;
  private owners: ClientIdOwners | undefined;

  constructor(private readonly deps: AccountStorageDeps) {
    this.quotas = new StorageQuotas({ config: deps.config, log: deps.log, counters: deps.counters, accountOf: (id) => this.accountOf(id) });
  }

  /** At start, once the persistence is set up and before any client is let in. */
  attach(aedes: Aedes, persistence: PersistenceInternals): void {
    const { deps } = this;
    this.owners = new ClientIdOwners({
      log: deps.log, storage: ownerStorageOf(persistence), counters: deps.counters,
      connected: (id) => deps.clients()[id], identityOf: (c) => deps.identities.get(c),
      maxSessions: (identity) => (identity.kind === 'admin' ? Infinity : deps.config.maxSessionsPerAccount),
    });
    this.owners.observe(aedes);
    this.quotas.attach(persistence);
    budgetInboundQos2(persistence, {
      bytes: deps.config.maxInflightInboundBytesPerAccount, identityOf: (c) => deps.identities.get(c),
      onOver: (client, account, held) => {
        deps.counters.inboundQos2QuotaExceeded++;
        deps.log.warn({ clientId: client.id, username: account, held, limit: deps.config.maxInflightInboundBytesPerAccount }, 'QoS 2 messages awaiting PUBREL over mqtt.maxInflightInboundBytesPerAccount for the account; disconnected');
      },
    });
  }

  /** The login's last word (mqtt-login.ts): may this identity take this client id? */
  async admit(client: Client, identity: MqttIdentity): Promise<IdRefusal | undefined> {
    return this.owners?.admit(client, identity);
  }

  /** The account of a client id: connected, just gone, or owning its persistent session. */
  accountOf(clientId: string): string | undefined {
    const client = this.deps.clients()[clientId];
    return (client && this.deps.identities.get(client)?.username) ?? this.deps.departed.get(clientId) ?? this.owners?.ownerOf(clientId);
  }
}
