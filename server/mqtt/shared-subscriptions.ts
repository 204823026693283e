import type { Aedes, Client, Subscription } from 'aedes';
import type { Logger } from '../core/logger.js';
import { aedesInternals, clientInternals, type AedesPacket, type ClientInternals } from './aedes-internals.js';
import type { OutgoingPacket } from './write-hooks.js';
import { windowFull } from './outbound-window.js';
import { topicMatches } from './topics.js';

/**
 * MQTT 5 Shared Subscriptions (§4.8.2), for one hub: a subscription to `$share/<ShareName>/<filter>` joins the group
 * (ShareName, filter), and each message matching `filter` goes to one connected member of each group, taken in turn,
 * while ordinary subscriptions to `filter` still get their copy. aedes 2.0.0-beta.1 refuses `$share/` with SUBACK
 * 0x9E for MQTT 5 clients (lib/handlers/subscribe.js doSubscribe) and says so in every CONNACK (connect.js
 * connackProperties); this keeps aedes's own subscription machinery and changes only what it is given:
 *
 * - **The name.** Before aedes sees a SUBSCRIBE or UNSUBSCRIBE (at the client's packet parser, before its
 *   listeners), `$share/g/f` becomes `$rumah-share/g/f`. To aedes that is an ordinary subscription: it authorizes it,
 *   stores it with a persistent session (and restores it at reconnect), keeps it in `client.subscriptions` with the
 *   delivery function it built (QoS, Subscription Identifier, Retain As Published), answers SUBACK/UNSUBACK with the
 *   usual codes and removes it when the client leaves. MQTT 3.1.1 clients may use `$share/` too, as with mosquitto.
 * - **The ACL** (Broker.authorizeSubscribe, and through it the device ACL and the pairing candidates' list) sees the
 *   real filter `f`: the broker's authorizeSubscribe hook is wrapped to pass `f` and give aedes back the shared name.
 * - **Routing.** The renamed subscription is never put in aedes's router (aedes.subscribe is wrapped for that name).
 *   Instead each group has one router entry on `f`, and each message it matches is handed to one member's own
 *   aedes delivery function, so the copy it gets is exactly the one an ordinary subscription would have sent.
 *   Members are known by watching `client.subscriptions` (a Proxy, only for clients that asked for a shared
 *   subscription): aedes adds a subscription there once accepted and deletes it at UNSUBSCRIBE and at close.
 * - **The CONNACK** of an MQTT 5 client says Shared Subscription Available = 1 instead of 0 (write-hooks.ts).
 *
 * Choices:
 * - A member is a connected client, taken in turn; for a QoS 1/2 message, one whose Receive Maximum is used up is
 *   passed over while another member has room. One that disconnects leaves the group at once; a persistent
 *   session's shared subscription is restored with its session, and the client is a member again once reconnected.
 *   A message that finds no connected member is not delivered to that group (like a clean session's subscription),
 *   nor queued for an offline session: queueing for the offline member would hold messages from connected members
 *   that could take them now ([MQTT-4.8.2] leaves the choice to the Server).
 * - A QoS 1/2 message sent to a member with a persistent session is first queued in that session, as aedes queues any
 *   message for a stored subscription: if the member disconnects before acknowledging, the message stays with its
 *   session and is sent again when it returns ([MQTT-4.8.2]: "the Server MAY wait for the Client to reconnect and
 *   retransmit the message to that Client"), not to another member. (aedes also needs the entry: for a persistent
 *   session it records the packet identifier on the queued message before sending, and fails the delivery without it.)
 *   The publisher's PUBACK waits for that entry to be stored: the broker's `queues` (durable-publish.ts), which looks
 *   at stored subscriptions by topic and never matches the renamed one, also asks the groups (`queues` below), and
 *   the message's routing ends only once the entry is stored. (Before, a crash between the PUBACK and that commit
 *   lost the message for that member.)
 * - No retained messages on a new shared subscription ([MQTT-4.8.2]: retained messages are not sent to shared
 *   subscriptions): the subscription's Retain Handling is set to 2.
 * - A malformed shared filter (empty ShareName, `+`/`#` in it, no filter after it [MQTT-4.8.2-1], [MQTT-4.8.2-2]) and
 *   No Local on a shared subscription ([MQTT-3.8.3-4], a Protocol Error) are refused for that filter alone (SUBACK
 *   0x87 / 0x80), not by closing the connection.
 * - A PUBLISH to a `$share/` topic is refused (Broker.topicRefused, and Broker.publish for the hub's own), and
 *   Broker.routed never hands one to the registry: it is no topic, and would otherwise become a device's.
 */

const sharePrefix = '$share/';
/** What aedes is given for `$share/…`: a name no client may publish to (Broker.topicRefused) or subscribe to as such. */
export const sharedName = '$rumah-share/';

/** Topics no client publishes to: shared subscription names. */
export function isSharedTopic(topic: string): boolean {
  return topic.startsWith(sharePrefix) || topic.startsWith(sharedName);
}

/** ShareName and filter of a renamed shared subscription; undefined when malformed. */
function parseShared(name: string): { group: string; filter: string } | undefined {
  const rest = name.slice(sharedName.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  const filter = rest.slice(slash + 1);
  if (group.includes('+') || group.includes('#') || filter.length === 0) return undefined;
  return { group, filter };
}

type Deliver = (packet: AedesPacket, cb: () => void) => void;
type SubscriptionEntry = ClientInternals['subscriptions'][string];

class Group {
  readonly members: Client[] = [];
  private cursor = 0;
  /** [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with `$`. */
  private readonly skipsDollar: boolean;
  readonly deliver: Deliver;

  constructor(readonly name: string, readonly filter: string, persistence: () => ReturnType<typeof aedesInternals>['persistence'], log: Logger) {
    this.skipsDollar = filter.startsWith('+') || filter.startsWith('#');
    this.deliver = (packet, cb) => {
      if (this.skipsDollar && packet.topic.charCodeAt(0) === 36) return cb();
      const picked = this.next(packet.qos);
      if (!picked) return cb();
      const [client, sub] = picked;
      const c = clientInternals(client);
      // [MQTT-3.8.4-8] at most the QoS granted: aedes lowers it only for a subscription named like the message's
      // topic (client.js deliverQoS looks it up by topic), never for this one.
      if (packet.qos > sub.qos) packet = { ...packet, qos: sub.qos as 0 | 1 | 2 };
      if (packet.qos > 0 && !c.clean && !(packet.retain && sub.rap)) {
        // Queued in the member's session before aedes's delivery records its packet identifier there: the store
        // runs operations in the order submitted (write-batcher.ts; aedes's memory store at once), and aedes does
        // that a setImmediate later, after deciding whether this copy is a duplicate within this dispatch.
        // With the subscription's identifier, as aedes's delivery will send it [MQTT-3.3.4-3] (and as the store matches
        // the sent copy to its entry, outgoing-store.ts update): a copy sent again at reconnect still carries it.
        const queued = sub.si === undefined ? packet : { ...packet, properties: { ...packet.properties, subscriptionIdentifier: sub.si } };
        const stored = persistence()
          .outgoingEnqueue({ clientId: c.id }, queued)
          .catch((err: Error) => log.warn({ clientId: c.id, err: err.message }, 'could not queue a shared subscription message in the member\'s session'));
        // The routing of this message ends once the entry is stored: the publisher's PUBACK waits for that (the broker
        // asks `queues` below and takes the stored path, durable-publish.ts), so a crash cannot lose an acknowledged
        // message for this member. A failed store is only logged: mqemitter's delivery callbacks carry no error back.
        sub.func(packet, () => void stored.then(() => cb()));
        return;
      }
      sub.func(packet, cb);
    };
  }

  /**
   * The next connected member in turn, with its subscription; undefined when none is connected. For a QoS 1/2
   * message, a member whose Receive Maximum is used up (outbound-window.ts) is passed over while another has room:
   * the message goes where it can be sent now instead of waiting behind that member's acknowledgements.
   */
  private next(qos: number): [Client, SubscriptionEntry] | undefined {
    const n = this.members.length;
    let fallback = -1;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const client = this.members[at]!;
      const c = clientInternals(client);
      const sub = c.connected && !c.closed ? c.subscriptions[this.name] : undefined;
      if (!sub) continue;
      if (qos > 0 && sub.qos > 0 && windowFull(client)) {
        if (fallback < 0) fallback = at;
        continue;
      }
      this.cursor = at + 1;
      return [client, sub];
    }
    if (fallback < 0) return undefined;
    this.cursor = fallback + 1;
    return [this.members[fallback]!, clientInternals(this.members[fallback]!).subscriptions[this.name]!];
  }

  /**
   * Whether a QoS 1/2 message on `topic` may be queued in a member's session by `deliver`: the filter matches and a
   * connected member has a persistent session. Which member gets it is decided at delivery, so any such one counts.
   */
  queues(topic: string): boolean {
    if (!topicMatches(this.filter, topic)) return false;
    return this.members.some((client) => {
      const c = clientInternals(client);
      return c.connected && !c.closed && !c.clean;
    });
  }

  add(client: Client): void {
    if (!this.members.includes(client)) this.members.push(client);
  }

  remove(client: Client): void {
    const i = this.members.indexOf(client);
    if (i < 0) return;
    this.members.splice(i, 1);
    if (i < this.cursor) this.cursor--;
  }
}

/**
 * Makes aedes accept and route shared subscriptions; returns what the broker calls for each packet a client sends
 * (`packet`, parser-hooks.ts) and for each CONNACK it writes (`connack`, write-hooks.ts).
 */
export function shareSubscriptions(aedes: Aedes, log: Logger): { packet(packet: unknown): void; connack(packet: OutgoingPacket): void; queues(topic: string): boolean } {
  const a = aedesInternals(aedes);
  const groups = new Map<string, Group>();
  /** Subscriptions that must be refused (see the choices above), with the filter the client sent. */
  const refused = new WeakMap<object, string>();
  /** Numbers the stand-in names of refused filters: aedes keys a SUBSCRIBE's filters by name (subscribe.js _dedupe). */
  let refusals = 0;
  const watched = new WeakSet<Client>();
  const persistence = () => a.persistence;

  const subscribe = aedes.subscribe.bind(aedes);
  const unsubscribe = aedes.unsubscribe.bind(aedes);
  // The renamed subscription is routed by its group (join), never by aedes's router.
  aedes.subscribe = ((topic: string, func: Deliver, done?: () => void) => {
    if (!topic.startsWith(sharedName)) return subscribe(topic, func as never, done as never);
    if (done) setImmediate(done);
  }) as Aedes['subscribe'];
  aedes.unsubscribe = ((topic: string, func: Deliver, done?: () => void) => {
    if (!topic.startsWith(sharedName)) return unsubscribe(topic, func as never, done as never);
    if (done) setImmediate(done);
  }) as Aedes['unsubscribe'];

  const join = (client: Client, name: string): void => {
    let group = groups.get(name);
    if (!group) {
      const parsed = parseShared(name);
      if (!parsed) return;
      group = new Group(name, parsed.filter, persistence, log);
      groups.set(name, group);
      subscribe(parsed.filter, group.deliver as never, undefined as never);
    }
    group.add(client);
  };
  const leave = (client: Client, name: string): void => {
    const group = groups.get(name);
    if (!group) return;
    group.remove(client);
    if (group.members.length > 0) return;
    groups.delete(name);
    unsubscribe(group.filter, group.deliver as never, undefined as never);
  };

  /** Follows the client's shared subscriptions in aedes's own record of them. */
  const watch = (client: Client): void => {
    if (watched.has(client)) return;
    watched.add(client);
    const c = clientInternals(client);
    c.subscriptions = new Proxy(c.subscriptions, {
      set(target, key, value: SubscriptionEntry) {
        target[key as string] = value;
        if (typeof key === 'string' && key.startsWith(sharedName)) join(client, key);
        return true;
      },
      deleteProperty(target, key) {
        delete target[key as string];
        if (typeof key === 'string' && key.startsWith(sharedName)) leave(client, key);
        return true;
      },
    });
  };

  // aedes calls this hook for a live SUBSCRIBE and for each subscription restored with a session.
  const authorize = aedes.authorizeSubscribe.bind(aedes);
  aedes.authorizeSubscribe = (client, sub, cb) => {
    if (!sub.topic.startsWith(sharedName)) return authorize(client, sub, cb);
    const asked = refused.get(sub);
    const parsed = asked === undefined ? parseShared(sub.topic) : undefined;
    if (!parsed) {
      log.info({ clientId: client.id, filter: asked ?? sub.topic }, 'shared subscription refused: malformed, No Local set, or not a name for clients');
      return cb(null, null);
    }
    watch(client);
    const name = sub.topic;
    authorize(client, { ...sub, topic: parsed.filter }, (err, granted) => {
      if (err || !granted) return cb(err, granted);
      Object.assign(sub, granted);
      sub.topic = name;
      cb(null, sub);
    });
  };

  const rename = (topic: string): string => (topic.startsWith(sharePrefix) ? sharedName + topic.slice(sharePrefix.length) : topic);
  const renameShared = (packet: { cmd: string; subscriptions?: Subscription[]; unsubscriptions?: string[] } | undefined): void => {
    if (packet?.cmd === 'subscribe' && Array.isArray(packet.subscriptions)) {
      for (const sub of packet.subscriptions as Array<Subscription & { nl?: boolean; rh?: number }>) {
        if (typeof sub.topic !== 'string') continue;
        if (!sub.topic.startsWith(sharePrefix) && !sub.topic.startsWith(sharedName)) continue;
        const asked = sub.topic;
        sub.topic = rename(asked);
        sub.rh = 2;
        if (asked.startsWith(sharedName) || !parseShared(sub.topic)) {
          // The internal name asked for literally, or a malformed one: refused under a stand-in name that aedes's
          // filter check accepts (`+` in a ShareName would fail it, and aedes would close the connection for it).
          refused.set(sub, asked);
          sub.topic = `${sharedName}refused/${++refusals}`;
        } else if (sub.nl) {
          refused.set(sub, asked);
        }
      }
    } else if (packet?.cmd === 'unsubscribe' && Array.isArray(packet.unsubscriptions)) {
      packet.unsubscriptions = packet.unsubscriptions.map((t) => (typeof t === 'string' ? rename(t) : t));
    }
  };

  return {
    // Each packet the client's parser emits, before aedes's listeners (parser-hooks.ts): aedes handles the packet, or
    // queues it until the CONNACK is sent; before prototype-topics.ts, which may take a SUBSCRIBE and subscribe its
    // filters one by one.
    packet: (packet) => renameShared(packet as { cmd: string; subscriptions?: Subscription[]; unsubscriptions?: string[] } | undefined),
    // Asked for every QoS 1 PUBLISH (durable-publish.ts): whether a persistent member's session may store a copy.
    queues: (topic) => {
      for (const group of groups.values()) if (group.queues(topic)) return true;
      return false;
    },
    // §3.2.2.3.13: aedes sends Shared Subscription Available = 0 in every MQTT 5 CONNACK; absent or 1 means available.
    connack: (packet) => {
      const p = packet.properties;
      if (p && p.sharedSubscriptionAvailable === false) packet.properties = { ...p, sharedSubscriptionAvailable: true };
    },
  };
}
