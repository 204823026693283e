import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { waitFor } from './hub.js';

// What the outbound-bridge session tests put on the wire between a hub's bridge and its remote: a fake remote that
// answers only what the test tells it to (acknowledgements withheld, Session Present chosen), and a proxy in front of a
// real mosquitto that cuts the connection at a chosen packet. Both real TCP on 127.0.0.1, stopped by the test.

/** One connection of the bridge to the fake remote: what it sent, and a way to answer. */
export interface WireConnection {
  /** Every packet the bridge sent on it, CONNECT first, as mqtt-packet parses them. */
  readonly packets: Packet[];
  protocolVersion: 4 | 5;
  send(packet: Record<string, unknown>): void;
  /** Waits (bounded) until `check` holds for the packets received so far. */
  until(what: string, check: (packets: Packet[]) => boolean): Promise<void>;
  /** Drops the connection (as a network or a remote going away would). */
  close(): void;
}

/**
 * An MQTT server that answers CONNECT with CONNACK (Session Present as `sessionPresent` says at that moment), SUBSCRIBE
 * with SUBACK (what was asked granted) and PINGREQ with PINGRESP, records everything and acknowledges nothing else by
 * itself.
 */
export class FakeRemote {
  readonly connections: WireConnection[] = [];
  sessionPresent = false;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<FakeRemote> {
    const server = net.createServer();
    const remote = new FakeRemote(server);
    server.on('connection', (socket) => remote.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return remote;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The `n`th connection (from 0), once its CONNECT was answered. */
  async connection(n: number): Promise<WireConnection> {
    await waitFor(() => this.connections.length > n, 20_000, `connection ${n} to the fake remote`);
    return this.connections[n]!;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const parser = mqttPacket.parser();
    const conn: WireConnection = {
      packets: [],
      protocolVersion: 4,
      send: (packet) => {
        if (!socket.destroyed) socket.write(mqttPacket.generate(packet as unknown as Packet, { protocolVersion: conn.protocolVersion }));
      },
      until: (what, check) => waitFor(() => check(conn.packets), 20_000, what).then(() => undefined),
      close: () => socket.destroy(),
    };
    parser.on('error', () => socket.destroy());
    parser.on('packet', (packet) => {
      conn.packets.push(packet);
      if (packet.cmd === 'connect') {
        conn.protocolVersion = packet.protocolVersion === 5 ? 5 : 4;
        conn.send(conn.protocolVersion === 5 ? { cmd: 'connack', sessionPresent: this.sessionPresent, reasonCode: 0 } : { cmd: 'connack', sessionPresent: this.sessionPresent, returnCode: 0 });
        this.connections.push(conn);
      } else if (packet.cmd === 'pingreq') conn.send({ cmd: 'pingresp' });
      else if (packet.cmd === 'subscribe') conn.send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((sub) => sub.qos) });
    });
    socket.on('data', (chunk) => parser.parse(chunk));
  }
}

/** A PUBLISH as mqtt-packet parses it, with what the session tests look at. */
export type WirePublish = Packet & { cmd: 'publish'; topic: string; messageId: number; qos: number; dup: boolean };

/** What matters of the packets after CONNECT: `publish <topic> <id> q<qos>[ dup]` and `pubrel <id>`, keepalive left out. */
export function wire(packets: Packet[]): string[] {
  return packets.flatMap((p) => {
    if (p.cmd === 'publish') {
      const pub = p as WirePublish;
      return [`publish ${pub.topic} ${pub.messageId} q${pub.qos}${pub.dup ? ' dup' : ''}`];
    }
    if (p.cmd === 'pubrel') return [`pubrel ${(p as { messageId: number }).messageId}`];
    return [];
  });
}

/** The packet identifiers of the packets of one type (`pubrec`, `pubcomp`…), in the order they came. */
export const idsOf = (packets: Packet[], cmd: string): number[] => packets.filter((p) => p.cmd === cmd).map((p) => (p as { messageId: number }).messageId);

/** MQTT control packet types (the high nibble of the first byte) [MQTT-2.2.1]. */
export const PUBREC = 5;
export const PUBCOMP = 7;

/**
 * A TCP proxy in front of a broker that passes every byte, and, for what the broker sends, asks `cut` about each
 * packet (its type, from the fixed header): true drops that packet and closes both sides at once, so the bridge
 * loses exactly that acknowledgement with its connection; 'drop' drops the packet alone (an acknowledgement that never
 * comes on a connection that stays up).
 */
export async function startCutter(targetPort: number, cut: (type: number) => boolean | 'drop'): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => s.destroy());
    }
    client.on('data', (chunk) => upstream.write(chunk));
    let buffered = Buffer.alloc(0);
    upstream.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const size = packetSize(buffered);
        if (size === -1) {
          client.destroy();
          upstream.destroy();
          return;
        }
        if (size === undefined || buffered.length < size) return;
        const packet = buffered.subarray(0, size);
        buffered = buffered.subarray(size);
        const verdict = cut(packet[0]! >> 4);
        if (verdict === 'drop') continue;
        if (verdict) {
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(packet);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole packet's size from its fixed header (Remaining Length [MQTT-2.2.3]); undefined: not all here yet; -1: malformed. */
function packetSize(buf: Buffer): number | undefined {
  let length = 0;
  for (let i = 1, shift = 0; i <= 4; i++, shift += 7) {
    if (buf.length <= i) return undefined;
    length += (buf[i]! & 0x7f) << shift;
    if ((buf[i]! & 0x80) === 0) return 1 + i + length;
  }
  return -1;
}
