// The account that owns each client id's persistent session (issue 15, item 3; schema 3). Read whole at start (a
// house has tens of persistent sessions, a few hundred at most: the count per account is bounded by
// mqtt.maxSessionsPerAccount), written through like every other table. The rules about who may take a client id are
// server/mqtt/client-id-owner.ts.
import type { Connection, PreparedStatement } from './sqlite-connection.js';
import type { Tx } from './write-batcher.js';

interface Row {
  client_id: string;
  username: string;
}

export class SessionOwnerStore {
  readonly #owners = new Map<string, string>();

  private constructor(
    private readonly upsertSql: PreparedStatement,
    private readonly removeSql: PreparedStatement,
  ) {}

  static async open(conn: Connection): Promise<SessionOwnerStore> {
    const store = new SessionOwnerStore(
      await conn.prepare('INSERT INTO session_owners (client_id, username) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET username = excluded.username'),
      await conn.prepare('DELETE FROM session_owners WHERE client_id = ?'),
    );
    for (const row of await conn.all<Row>('SELECT client_id, username FROM session_owners ORDER BY rowid')) store.#owners.set(row.client_id, row.username);
    return store;
  }

  get size(): number {
    return this.#owners.size;
  }

  /** Every (client id, username), as stored. */
  all(): Array<[clientId: string, username: string]> {
    return [...this.#owners];
  }

  set(tx: Tx, clientId: string, username: string): void {
    const previous = this.#owners.get(clientId);
    if (previous === username) return;
    this.#owners.set(clientId, username);
    tx.onRollback(() => (previous === undefined ? this.#owners.delete(clientId) : this.#owners.set(clientId, previous)));
    tx.run(this.upsertSql, [clientId, username]);
  }

  delete(tx: Tx, clientId: string): void {
    const previous = this.#owners.get(clientId);
    if (previous === undefined) return;
    this.#owners.delete(clientId);
    tx.onRollback(() => this.#owners.set(clientId, previous));
    tx.run(this.removeSql, [clientId]);
  }

  async close(): Promise<void> {
    await Promise.all([this.upsertSql.finalize(), this.removeSql.finalize()]);
  }
}
