import type { Aedes, Client } from 'aedes';
import type { Logger } from '../core/logger.js';
import { clientInternals } from './aedes-internals.js';
import type { MqttIdentity } from './identity.js';

/**
 * Where the owner of each persistent session is kept: broker.db's `session_owners` (SqlitePersistence), or memory
 * when the broker's state is in memory (nothing outlives the process then, sessions included).
 */
export interface SessionOwnerStorage {
  sessionOwners(): Array<[clientId: string, username: string]>;
  putSessionOwner(clientId: string, username: string): Promise<void>;
  delSessionOwner(clientId: string): Promise<void>;
  /** Whether the client id has a session beyond its connection (subscriptions, queued or QoS 2 state, an expiry). */
  sessionHeld(clientId: string): Promise<boolean>;
}

export interface ClientIdOwnerDeps {
  log: Logger;
  storage: SessionOwnerStorage;
  /** The client connected under this id now, if any. */
  connected(clientId: string): Client | undefined;
  identityOf(client: Client): MqttIdentity | undefined;
  /** Persistent sessions this account may hold at once (Infinity: no bound). */
  maxSessions(identity: MqttIdentity): number;
  counters: { clientIdRefused: number; sessionQuotaRefused: number };
}

/** Why a CONNECT is refused: CONNACK return code 2 "identifier rejected", which aedes sends an MQTT 5 client as 0x85. */
export interface IdRefusal {
  returnCode: 2;
  why: string;
}

/**
 * A client id belongs to the account that holds it (issue 15, item 3). aedes lets any login take any client id: the
 * connection holding it is closed and the newcomer gets its session — its queued QoS 1 commands (delivered without
 * any ACL check) and, with a clean session, the power to delete its subscriptions. Device client ids are predictable
 * (Tasmota `DVES_<mac>`, Shelly `shellyplus1-<mac>`), so any device account could cut another device off and read its
 * commands. Here a CONNECT is refused with "identifier rejected" (3.1.1 CONNACK 2, MQTT 5 0x85 Client Identifier not
 * valid [MQTT-3.1.3-9]) when its client id is connected under another account, or holds a persistent session another
 * account made; checked in the login (mqtt-login.ts), before aedes touches the session or the connection holding it.
 *
 * - The owner is the account that last connected under the id with a persistent session (3.1.1 clean=false, MQTT 5
 *   Session Expiry > 0); kept in broker.db, so a restart does not free a session for the first comer.
 * - A client id whose session is gone (ended, expired, cleaned) is free again: the next account to use it owns it.
 * - An admin may take over any client id (it is the house's owner: debugging a device, replacing its firmware), and
 *   ownership stays with the account that had it: when the device comes back, it takes its id back. An admin's own
 *   sessions are owned by it like any account's.
 * - A session stored before schema 3 has no recorded owner: the first account to use its id after the upgrade claims
 *   it. Nothing stored then says whose it was.
 *
 * The same place bounds the persistent sessions an account holds (mqtt.maxSessionsPerAccount, storage-quotas.ts): one
 * more is refused the same way, so a device cycling client ids cannot fill broker.db with sessions that queue.
 */
export class ClientIdOwners {
  /** client id → account; accounts → their client ids (for the session count). */
  private readonly owners = new Map<string, string>();
  private readonly byAccount = new Map<string, Set<string>>();

  constructor(private readonly deps: ClientIdOwnerDeps) {
    for (const [clientId, username] of deps.storage.sessionOwners()) this.remember(clientId, username);
  }

  /** The account owning this client id's persistent session, if one was recorded. */
  ownerOf(clientId: string): string | undefined {
    return this.owners.get(clientId);
  }

  /** Called by the login with the checked identity; undefined: the CONNECT may go on. */
  async admit(client: Client, identity: MqttIdentity): Promise<IdRefusal | undefined> {
    const id = client.id;
    const me = identity.username;
    const holder = this.deps.connected(id);
    const holderAccount = holder && holder !== client ? this.deps.identityOf(holder)?.username : undefined;
    const owner = this.owners.get(id);
    const held = owner !== undefined && (await this.deps.storage.sessionHeld(id));
    if (identity.kind !== 'admin') {
      if (holderAccount !== undefined && holderAccount !== me) return this.refuse(client, identity, `client id in use by a connection of account ${holderAccount}`, 'clientIdRefused');
      if (held && owner !== me) return this.refuse(client, identity, `client id holds a persistent session of account ${owner}`, 'clientIdRefused');
    }
    if (!persistent(client) || (held && owner === me)) return undefined;
    const max = this.deps.maxSessions(identity);
    if (!Number.isFinite(max)) return undefined;
    const live = await this.liveSessions(me, id);
    if (live >= max) return this.refuse(client, identity, `account holds ${live} persistent sessions, mqtt.maxSessionsPerAccount is ${max}`, 'sessionQuotaRefused');
    return undefined;
  }

  /** Records who owns each session as its client becomes ready. */
  observe(aedes: Aedes): void {
    aedes.on('clientReady', (client) => {
      const identity = this.deps.identityOf(client);
      if (!identity) return;
      const owner = this.owners.get(client.id);
      if (persistent(client) || clientInternals(client).clean === false) {
        // An admin taking over another account's id leaves it that account's (see above).
        if (owner !== undefined && owner !== identity.username && identity.kind === 'admin') return;
        if (owner === identity.username) return;
        this.remember(client.id, identity.username);
        this.write(this.deps.storage.putSessionOwner(client.id, identity.username), client.id);
      } else if (owner === identity.username) {
        // A clean session replaced the owner's persistent one: nothing left to own.
        this.forget(client.id);
        this.write(this.deps.storage.delSessionOwner(client.id), client.id);
      }
    });
    // An MQTT 5 session that expired in the running hub (aedes's timer) leaves nothing to own.
    aedes.on('sessionExpired', (client: { id: string }) => {
      if (!this.owners.has(client.id) || this.deps.connected(client.id)) return;
      this.forget(client.id);
      this.write(this.deps.storage.delSessionOwner(client.id), client.id);
    });
  }

  /** Sessions `username` holds besides `except`: connected or stored. Rows of sessions that are gone are pruned. */
  private async liveSessions(username: string, except: string): Promise<number> {
    let live = 0;
    for (const clientId of [...(this.byAccount.get(username) ?? [])]) {
      if (clientId === except) continue;
      const holder = this.deps.connected(clientId);
      if (holder && this.deps.identityOf(holder)?.username === username) {
        live++;
        continue;
      }
      if (await this.deps.storage.sessionHeld(clientId)) live++;
      else if (this.owners.get(clientId) === username) {
        this.forget(clientId);
        this.write(this.deps.storage.delSessionOwner(clientId), clientId);
      }
    }
    return live;
  }

  private refuse(client: Client, identity: MqttIdentity, why: string, counter: 'clientIdRefused' | 'sessionQuotaRefused'): IdRefusal {
    this.deps.counters[counter]++;
    this.deps.log.warn({ clientId: client.id, username: identity.username, why }, counter === 'clientIdRefused' ? 'MQTT login refused: client id belongs to another account' : 'MQTT login refused: persistent session quota');
    return { returnCode: 2, why };
  }

  private remember(clientId: string, username: string): void {
    this.forget(clientId);
    this.owners.set(clientId, username);
    let ids = this.byAccount.get(username);
    if (!ids) this.byAccount.set(username, (ids = new Set()));
    ids.add(clientId);
  }

  private forget(clientId: string): void {
    const previous = this.owners.get(clientId);
    if (previous === undefined) return;
    this.owners.delete(clientId);
    const ids = this.byAccount.get(previous);
    ids?.delete(clientId);
    if (ids?.size === 0) this.byAccount.delete(previous);
  }

  private write(done: Promise<void>, clientId: string): void {
    done.catch((err: Error) => this.deps.log.warn({ clientId, err: err.message }, 'could not write the owner of a session to broker.db'));
  }
}

/** Whether the CONNECT asks for a session that outlives the connection (3.1.1 clean=false; MQTT 5 Session Expiry > 0). */
function persistent(client: Client): boolean {
  const c = clientInternals(client);
  return c.version === 5 ? c.sessionExpiryInterval > 0 : c.clean === false;
}

/** Session owners in memory, for `mqtt.persistence: memory` (whose sessions end with the process anyway). */
export function memoryOwnerStorage(sessionHeld: (clientId: string) => Promise<boolean>): SessionOwnerStorage {
  const owners = new Map<string, string>();
  return {
    sessionOwners: () => [...owners],
    putSessionOwner: async (clientId, username) => void owners.set(clientId, username),
    delSessionOwner: async (clientId) => void owners.delete(clientId),
    sessionHeld,
  };
}

/** The SQLite persistence's owner table when it has one (sqlite-persistence.ts), else owners in memory. */
export function ownerStorageOf(persistence: object): SessionOwnerStorage {
  const p = persistence as Partial<Omit<SessionOwnerStorage, 'sessionHeld'>> & {
    hasSession?(clientId: string): boolean;
    subscriptionsByClient?(client: { id: string }): Promise<unknown[] | null | undefined>;
  };
  if (typeof p.sessionOwners === 'function' && typeof p.putSessionOwner === 'function' && typeof p.delSessionOwner === 'function' && typeof p.hasSession === 'function') {
    return {
      sessionOwners: () => p.sessionOwners!(),
      putSessionOwner: (clientId, username) => p.putSessionOwner!(clientId, username),
      delSessionOwner: (clientId) => p.delSessionOwner!(clientId),
      sessionHeld: async (clientId) => p.hasSession!(clientId),
    };
  }
  return memoryOwnerStorage(async (clientId) => ((await p.subscriptionsByClient?.({ id: clientId })) ?? []).length > 0);
}
