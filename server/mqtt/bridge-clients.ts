// Other brokers that bridge into rumah are clients, with two habits of their own (mosquitto's bridge, by default):
//
// - `try_private true`: the CONNECT's protocol level carries the bridge bit (0x84 for 3.1.1, 0x83 for 3.1), which
//   mqtt-packet reports as `bridgeMode`; it asks the broker not to send a bridge's own messages back to it.
// - `notifications true`: the bridge publishes its state on `$SYS/broker/connection/<its client id>/state` (`1` when
//   up; its will sets `0`), retained. rumah refused every `$SYS/` publish and, for MQTT 3.1.1, closed the connection
//   on it, so a mosquitto bridge with its defaults reconnected every ~6 s forever.
//
// A client may publish on its own connection-state topic, whatever its account's topic rules (the topic is named by
// its client id, which belongs to it). The message is never retained here: client ids are the client's to choose,
// and a retained message per id would be storage without a quota; the dashboard keeps the state of each connected
// bridge instead (server/api/broker.ts).
import type { Client } from 'aedes';
import { sysPrefix } from './topics.js';

const connectionPrefix = `${sysPrefix}broker/connection/`;

/** `$SYS/broker/connection/<clientId>/state`, where a bridge announces itself. */
export function connectionStateTopic(clientId: string): string {
  return `${connectionPrefix}${clientId}/state`;
}

/** Whether `topic` is the connection-state topic of the client `clientId` (and so its to publish). */
export function isOwnConnectionTopic(topic: string, clientId: string | undefined): boolean {
  return clientId !== undefined && clientId !== '' && topic === connectionStateTopic(clientId);
}

/** The client id a connection-state topic names, or undefined when `topic` is not one. */
export function connectionTopicClient(topic: string): string | undefined {
  if (!topic.startsWith(connectionPrefix) || !topic.endsWith('/state')) return undefined;
  const id = topic.slice(connectionPrefix.length, -'/state'.length);
  return id === '' ? undefined : id;
}

/**
 * The state a connection-state publish announces (`1` up, `0` down), and the publish made fit to route: never
 * retained (see above).
 */
export function announcedState(packet: { payload?: unknown; retain: boolean }): 'up' | 'down' | 'unknown' {
  packet.retain = false;
  const text = Buffer.isBuffer(packet.payload) ? packet.payload.toString() : String(packet.payload ?? '');
  return text === '1' ? 'up' : text === '0' ? 'down' : 'unknown';
}

/** Clients whose CONNECT carried the bridge bit (mosquitto's `try_private`). */
export class BridgeClients {
  private readonly bridges = new WeakSet<Client>();

  connecting(client: Client, packet: object): void {
    // mqtt-packet sets `bridgeMode` on the parsed CONNECT; its types do not declare it.
    if ((packet as { bridgeMode?: boolean }).bridgeMode === true) this.bridges.add(client);
  }

  has(client: Client): boolean {
    return this.bridges.has(client);
  }
}
