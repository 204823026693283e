import type { Aedes, Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { aedesInternals, clientInternals } from './aedes-internals.js';

/** A filter named like this is, in a plain object keyed by filter, that object's prototype, not one of its keys. */
const protoTopic = '__proto__';

interface Sub {
  topic: string;
  qos: number;
  rh?: number;
  [key: string]: unknown;
}

interface SubscribePacket {
  cmd: 'subscribe';
  messageId?: number;
  subscriptions: Sub[];
  properties?: Record<string, unknown>;
}

function endangered(subs: Sub[] | undefined): boolean {
  return subs !== undefined && subs.length > 1 && subs.some((s) => s.topic === protoTopic);
}

/**
 * GHSA-52qw-whmv-87c5, the part left in aedes 2.0.0-beta.1's SUBSCRIBE handler: when a SUBSCRIBE has more than one
 * filter, lib/handlers/subscribe.js `_dedupe` keys a plain object by filter, and a filter `__proto__` set that
 * object's prototype: aedes then took the filter's fields (its topic string, its QoS number) for subscriptions and
 * threw a TypeError no one caught, which ended the hub — one packet from any client that may log in. The same
 * happens when a session that holds `__proto__` and another filter is resumed (connect.js restoreSubs).
 *
 * aedes runs `_dedupe` only for more than one filter, so such a SUBSCRIBE never reaches it: it is taken from the
 * client's parser and subscribed one filter at a time through aedes's own path (authorization, storage, retained
 * messages), and answered with one SUBACK whose codes follow the SUBSCRIBE's order [MQTT-3.9.3-1]. Retained messages
 * for its first filters may come before that SUBACK. SUBSCRIBE packets without `__proto__` go to aedes untouched.
 */
export function subscribeOneByOne(client: Client, packet: unknown): boolean {
  // Called for each packet the client's parser emits, before aedes's listeners (parser-hooks.ts): true, taken here.
  const p = packet as SubscribePacket | undefined;
  if (p?.cmd !== 'subscribe' || !endangered(p.subscriptions)) return false;
  const c = clientInternals(client);
  if (!c.connecting && !c.connected) return false;
  (c as unknown as { _keepaliveTimer?: NodeJS.Timeout | null })._keepaliveTimer?.refresh();
  // As aedes's parser queue: a SUBSCRIBE sent before the CONNACK waits for the connection to be accepted.
  if (c.connackSent) subscribeEach(client, p);
  else client.once('connected' as never, () => subscribeEach(client, p));
  return true;
}

function subscribeEach(client: Client, packet: SubscribePacket): void {
  const c = clientInternals(client);
  const byTopic = new Map<string, Sub>();
  for (const sub of packet.subscriptions) byTopic.set(sub.topic, sub);
  const subs = [...byTopic.values()];
  const granted = new Map<string, number>();
  let i = 0;
  const next = (): void => {
    if (c.closed) return;
    if (i === subs.length) return suback(client, packet, granted);
    const sub = subs[i++]!;
    client.subscribe({ subscriptions: [sub], properties: packet.properties } as never, (err?: Error | null) => {
      // aedes answers a bad filter by ending the client, as for any SUBSCRIBE it cannot handle.
      if (err) return void client.emit('error' as never, err as never);
      // aedes writes the granted code into the subscription right after it calls back (completeSubscribe).
      setImmediate(() => {
        granted.set(sub.topic, sub.qos);
        next();
      });
    });
  };
  next();
}

function suback(client: Client, packet: SubscribePacket, granted: Map<string, number>): void {
  const c = clientInternals(client);
  if (packet.messageId === undefined || c.closed || !(c.connected || c.connecting)) return;
  const codes = packet.subscriptions.map((s) => granted.get(s.topic)!);
  mqttPacket.writeToStream({ cmd: 'suback', messageId: packet.messageId, granted: codes } as never, c.conn as unknown as NodeJS.WritableStream, { protocolVersion: c.version === 5 ? 5 : c.version === 3 ? 3 : 4 });
}

/**
 * The resume side (see subscribeOneByOne): a stored session holding `__proto__` beside other filters is restored
 * without it, and `__proto__` is subscribed again once the client is ready, with Retain Handling 2, as a restored
 * subscription sends no retained messages (MQTT-3.1.2-4 / aedes connect.js restoreSubs).
 */
export function restoreOneByOne(aedes: Aedes): void {
  const persistence = aedesInternals(aedes).persistence as unknown as { subscriptionsByClient(c: { id: string }): Promise<Sub[]> };
  const byClient = persistence.subscriptionsByClient.bind(persistence);
  const pending = new Map<string, Sub>();
  persistence.subscriptionsByClient = async (ref) => {
    const subs = await byClient(ref);
    if (!endangered(subs)) return subs;
    pending.set(ref.id, subs.find((s) => s.topic === protoTopic)!);
    return subs.filter((s) => s.topic !== protoTopic);
  };
  aedes.on('clientReady', (client) => {
    const sub = pending.get(client.id);
    if (!sub) return;
    pending.delete(client.id);
    client.subscribe({ subscriptions: [{ ...sub, rh: 2 }] } as never, () => {});
  });
  aedes.on('clientDisconnect', (client) => pending.delete(client.id));
}
