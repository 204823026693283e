import net from 'node:net';
import type { TestContext } from 'node:test';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { adminPassword, end, startHub, type TestHub } from './hub.js';

// Helpers for the MQTT 5 flow tests (test/flows/mqtt5-*.test.ts): MQTT.js clients that keep the CONNACK and every
// PUBLISH packet with its properties, and a raw client writing mqtt-packet packets on a socket for what MQTT.js
// refuses to send (invalid topic aliases, QoS 2 without PUBREL, a silent 3.1.1 client).

export const admin = { username: 'admin', password: adminPassword };

/** A hub closed when the test ends. */
export async function hubFor(t: TestContext, overrides: Parameters<typeof startHub>[0] = {}): Promise<TestHub> {
  const hub = await startHub(overrides);
  t.after(() => hub.stop());
  return hub;
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface V5Client {
  client: MqttClient;
  connack: IConnackPacket;
  /** Every PUBLISH received, in order, with its properties. */
  messages: IPublishPacket[];
  /** DISCONNECT packets the server sent. */
  disconnects: Array<{ reasonCode?: number }>;
  closed: Promise<void>;
}

/**
 * An MQTT.js client (MQTT 5 unless `protocolVersion` says otherwise) connected to `url`, ended when the test ends.
 * Rejects with the error MQTT.js gives for a refused CONNACK (its `code` is the reason code).
 */
export function connect5(t: TestContext | undefined, url: string, opts: IClientOptions = {}): Promise<V5Client> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...admin, ...opts });
    const messages: IPublishPacket[] = [];
    const disconnects: Array<{ reasonCode?: number }> = [];
    client.on('message', (_topic, _payload, packet) => messages.push(packet));
    client.on('disconnect', (packet) => disconnects.push(packet));
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    t?.after(() => end(client));
    client.once('connect', (connack) => resolve({ client, connack, messages, disconnects, closed }));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** The reason code of a refused CONNECT (MQTT.js's error `code`). */
export async function refusal(url: string, opts: IClientOptions): Promise<number> {
  try {
    const c = await connect5(undefined, url, opts);
    await end(c.client);
  } catch (err) {
    return (err as { code: number }).code;
  }
  throw new Error('the CONNECT was accepted');
}

export function publish5(client: MqttClient, topic: string, payload: string | Buffer, opts: IClientPublishOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1, ...opts }, (err) => (err ? reject(err) : resolve())));
}

/** Subscribes and resolves with the granted QoS / reason codes of the SUBACK, failures (≥ 0x80) included. */
export function subscribe5(client: MqttClient, filters: string | string[], opts: Parameters<MqttClient['subscribe']>[1] = { qos: 1 }): Promise<number[]> {
  return new Promise((resolve, reject) =>
    client.subscribe(filters, opts ?? { qos: 1 }, (err, granted) => {
      // MQTT.js fails the whole SUBSCRIBE when one code is a failure; the SUBACK rides on the error.
      const suback = (err as { packet?: { granted?: Array<number | { qos: number }> } } | null)?.packet;
      if (err && suback?.granted) return resolve(suback.granted.map((g) => (typeof g === 'number' ? g : g.qos)));
      if (err) return reject(err);
      resolve((granted ?? []).map((g) => g.qos));
    }),
  );
}

/** Resolves once `check` holds, polling; rejects with `what` after `ms` (a bound on waiting, not a timing assertion). */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A marker message published and awaited: every message sent before it by `pub` was routed to `sub` (one route). */
export async function flush(pub: MqttClient, sub: V5Client, topic: string): Promise<void> {
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await publish5(pub, topic, marker, { qos: 1 });
  await until(() => sub.messages.some((m) => m.payload.toString() === marker), `marker on ${topic}`);
}

/** An MQTT client made of a socket and mqtt-packet, for packets MQTT.js will not send. */
export class RawClient {
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  private readonly parser;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket, readonly protocolVersion: 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('data', (d) => this.parser.parse(d));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => {
      r();
      for (const w of this.waiters.splice(0)) w();
    }));
  }

  static open(t: TestContext, port: number, protocolVersion: 4 | 5): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket, protocolVersion)));
      socket.once('error', reject);
      t.after(() => socket.destroy());
    });
  }

  /** Opens a socket and sends CONNECT (admin credentials unless given); resolves with the CONNACK. */
  static async connect(t: TestContext, port: number, protocolVersion: 4 | 5, connect: Partial<mqttPacket.IConnectPacket> = {}): Promise<{ raw: RawClient; connack: mqttPacket.IConnackPacket }> {
    const raw = await RawClient.open(t, port, protocolVersion);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, keepalive: 60, clientId: `raw-${Math.random().toString(36).slice(2, 8)}`, ...admin, password: Buffer.from(admin.password), ...connect } as mqttPacket.IConnectPacket);
    const connack = (await raw.next('connack')) as mqttPacket.IConnackPacket;
    return { raw, connack };
  }

  /** Bytes as they are, for packets mqtt-packet refuses to generate. */
  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** The first packet of `cmd` received (already or later); rejects if the socket closes first, or after `ms`. */
  async next(cmd: Packet['cmd'], ms = 10_000): Promise<Packet> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.packets.find((p) => p.cmd === cmd);
      if (found) return found;
      if (this.socket.destroyed) throw new Error(`socket closed before a ${cmd} arrived`);
      if (Date.now() > deadline) throw new Error(`no ${cmd} within ${ms} ms`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }
}

/** Closes a socket-level wait: resolves true if `closed` settles within `ms`, false otherwise. */
export async function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return result;
}
