import type { Aedes, Client } from 'aedes';
import { clientInternals } from './aedes-internals.js';
import type { OutgoingPacket } from './write-hooks.js';

/**
 * Session Present [MQTT-3.2.2-2]: 1 whenever the hub has session state for the client id of a CONNECT that resumes
 * (Clean Session 0 in 3.1.1, Clean Start 0 in MQTT 5). aedes 2.0.0-beta.1 sets it only when the stored session has
 * subscriptions (lib/handlers/connect.js restoreSubs), so a publisher's session — messages queued or unacknowledged,
 * QoS 2 messages not yet released, an MQTT 5 Session Expiry being counted down — was answered 0, and a client that
 * follows the spec then throws its own session state away (its unacknowledged QoS 1/2 messages with it).
 *
 * Whether state is held is asked when the CONNECT arrives, before aedes registers the client (which writes a new
 * MQTT 5 session's expiry row: asked later, every new session would look resumed); the CONNACK is corrected as it is
 * written. Only for the SQLite store, which can answer at once (`holds`).
 */
/** Session ends remembered at most (clients that never came back); the oldest go first. */
const maxEnded = 10_000;

export class SessionPresence {
  private readonly held = new WeakSet<Client>();
  /**
   * Client ids whose session ended (with its connection, or at its expiry) while the store may still be deleting it:
   * the deletion is written in the background, and a client back at once must not be told its old session is there.
   */
  private readonly ended = new Set<string>();
  /** Connections whose session end was marked at their DISCONNECT (packet()). */
  private readonly endedAtDisconnect = new WeakSet<Client>();

  constructor(private readonly holds: (clientId: string) => boolean) {}

  /** Follows aedes's session ends. */
  observe(aedes: Aedes): void {
    aedes.on('clientDisconnect', (client) => {
      // Marked at its DISCONNECT already: marked again now, after a new connection of the id took the mark, it would
      // make that new session look ended at its own next CONNECT.
      if (this.endedAtDisconnect.has(client)) return;
      const c = clientInternals(client);
      if (c.version === 5 ? c.sessionExpiryInterval === 0 : c.clean) this.end(client.id);
    });
    aedes.on('sessionExpired', (client) => this.end(client.id));
  }

  private end(id: string): void {
    if (this.ended.size >= maxEnded) this.ended.delete(this.ended.values().next().value!);
    this.ended.add(id);
  }

  /**
   * A packet from a client (the broker's parser hook): a DISCONNECT that ends the session with the connection (MQTT 5
   * Session Expiry Interval 0, on the DISCONNECT or left from the CONNECT; 3.1.1 Clean Session 1) marks it ended at
   * once. aedes ends it only once the connection has closed and its subscriptions are removed from the store, and a
   * client that connects again at once was answered Session Present 1 (20 of 20 in test/flows/session-end-race).
   */
  packet(client: Client, packet: { cmd?: string; properties?: { sessionExpiryInterval?: number } }): void {
    if (packet.cmd !== 'disconnect' || !client.id) return;
    const c = clientInternals(client);
    if (!c.connected) return;
    // aedes ignores a DISCONNECT raising 0 to more (a Protocol Error [MQTT-3.14.2-2]): the session still ends.
    const sei = c.version === 5 ? (c._connectSessionExpiryInterval === 0 ? 0 : (packet.properties?.sessionExpiryInterval ?? c.sessionExpiryInterval)) : c.clean ? 0 : 1;
    if (sei !== 0) return;
    this.end(client.id);
    this.endedAtDisconnect.add(client);
  }

  /** At CONNECT (preConnect): remembers whether this client id has session state now. */
  connecting(client: Client, packet: { clientId?: string; clean?: boolean }): void {
    const id = packet.clientId;
    if (!id) return;
    const justEnded = this.ended.delete(id);
    if (packet.clean === false && !justEnded && this.holds(id)) this.held.add(client);
  }

  /** A CONNACK written to `client` (the broker's CONNACK hook): Session Present when state was held and the CONNECT resumes it. */
  connack(client: Client, packet: OutgoingPacket): void {
    const p = packet as { sessionPresent?: boolean; returnCode?: number; reasonCode?: number };
    // Only on an accepted CONNECT [MQTT-3.2.2-6]; aedes decided everything else.
    if (!p.sessionPresent && (p.returnCode ?? p.reasonCode ?? 0) === 0 && this.held.has(client)) p.sessionPresent = true;
  }
}
