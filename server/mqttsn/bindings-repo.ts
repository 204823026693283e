import net from 'node:net';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Database } from '../store/database.js';

/** An MQTT-SN client id admitted as an MQTT account (migration 5, table mqttsn_clients). */
export interface Binding {
  clientId: string;
  account: string;
  /** Source IPs it may come from; absent: any. */
  addresses?: string[];
  createdAt: number;
}

/** §5.3.1 ClientId: 1-23 characters in the specification; longer ones are refused here (MQTT 3.1.1 allows them). */
const clientIdPattern = /^[\x21-\x7e]{1,23}$/;
/** Predefined topic ids; 0x0000 and 0xFFFF are reserved (§5.3.11). */
export const maxTopicId = 0xfffe;

/** Bindings and predefined topic ids; the CLI writes them, the gateway reads them. */
export class BindingsRepo {
  constructor(private readonly db: Database) {}

  async bind(clientId: string, account: string, addresses: string[] | undefined, now = Date.now()): Promise<Binding> {
    if (!clientIdPattern.test(clientId)) throw new RumahError(ErrorCodes.BAD_REQUEST, `MQTT-SN client id "${clientId}" must be 1-23 printable ASCII characters without spaces (MQTT-SN v1.2 §5.3.1)`);
    for (const a of addresses ?? []) if (net.isIP(a) === 0) throw new RumahError(ErrorCodes.BAD_REQUEST, `--from ${a}: not an IPv4 or IPv6 address`);
    await this.db.run(
      'INSERT INTO mqttsn_clients (client_id, account, addresses, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET account = excluded.account, addresses = excluded.addresses',
      [clientId, account, addresses?.length ? JSON.stringify(addresses) : null, now],
    );
    return { clientId, account, ...(addresses?.length ? { addresses } : {}), createdAt: now };
  }

  async unbind(clientId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM mqttsn_clients WHERE client_id = ?', [clientId])).changes > 0;
  }

  async get(clientId: string): Promise<Binding | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM mqttsn_clients WHERE client_id = ?', [clientId]);
    return row && toBinding(row);
  }

  async list(): Promise<Binding[]> {
    return (await this.db.all<Row>('SELECT * FROM mqttsn_clients ORDER BY client_id')).map(toBinding);
  }

  /** Bindings that name this source address (QoS −1 publishers are known only by their address, §6.8). */
  async fromAddress(address: string): Promise<Binding[]> {
    const rows = await this.db.all<Row>('SELECT * FROM mqttsn_clients WHERE addresses IS NOT NULL');
    return rows.map(toBinding).filter((b) => b.addresses!.includes(address));
  }

  async setTopic(account: string, topicId: number, topic: string): Promise<void> {
    if (!Number.isInteger(topicId) || topicId < 1 || topicId > maxTopicId) throw new RumahError(ErrorCodes.BAD_REQUEST, `a predefined topic id is 1-${maxTopicId} (0x0000 and 0xFFFF are reserved, MQTT-SN §5.3.11)`);
    if (topic === '' || /[+#\u0000]/.test(topic)) throw new RumahError(ErrorCodes.BAD_REQUEST, `"${topic}": a predefined topic is a topic name, without wildcards`);
    await this.db.run('INSERT INTO mqttsn_topics (account, topic_id, topic) VALUES (?, ?, ?) ON CONFLICT (account, topic_id) DO UPDATE SET topic = excluded.topic', [account, topicId, topic]);
  }

  async removeTopic(account: string, topicId: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM mqttsn_topics WHERE account = ? AND topic_id = ?', [account, topicId])).changes > 0;
  }

  /** An account's predefined topics, id → name. */
  async topics(account: string): Promise<Map<number, string>> {
    const rows = await this.db.all<{ topic_id: number; topic: string }>('SELECT topic_id, topic FROM mqttsn_topics WHERE account = ? ORDER BY topic_id', [account]);
    return new Map(rows.map((r) => [r.topic_id, r.topic]));
  }
}

interface Row {
  client_id: string;
  account: string;
  addresses: string | null;
  created_at: number;
}

function toBinding(r: Row): Binding {
  return { clientId: r.client_id, account: r.account, ...(r.addresses ? { addresses: JSON.parse(r.addresses) as string[] } : {}), createdAt: r.created_at };
}
