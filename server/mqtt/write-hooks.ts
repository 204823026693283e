import mqttPacket from 'mqtt-packet';

/**
 * Per-connection hooks, and hooks on every CONNACK, on the one function every packet aedes sends goes through:
 * mqtt-packet's `writeToStream`, called by aedes's lib/write.js as `mqtt.writeToStream(packet, client.conn, opts)`
 * for the CONNACK, each PUBLISH (live, retained on subscribe, or a queued session's at reconnect) and every
 * acknowledgement.
 *
 * MQTT 5 features need to see a packet there, after every decision aedes makes about it (dedupe, No Local,
 * authorizeForward, packet identifier) and before it is encoded: the outbound Receive Maximum (outbound-window.ts,
 * per connection), the CONNACK's Shared Subscription Available (shared-subscriptions.ts) and Session Present
 * (session-present.ts), both through the broker's one CONNACK hook. aedes's write() and the CONNACK are
 * module-private, so the hook sits on mqtt-packet's exported object, which aedes reads at each call. It is installed
 * once per process and does nothing for a stream without hooks (one property read per packet, and a comparison of
 * `cmd` while a broker runs): MQTT.js clients in the same process, 3.1.1 clients, and MQTT 5 clients that set no
 * Receive Maximum.
 *
 * The contract check (aedes-internals.ts) verifies at start that aedes resolves the same mqtt-packet as rumah; with
 * a copy of its own, these hooks would never see aedes's packets.
 */

/** What aedes hands to writeToStream, as far as the hooks read it. */
export interface OutgoingPacket {
  cmd: string;
  qos?: number;
  messageId?: number;
  topic?: string;
  payload?: Buffer | string;
  properties?: Record<string, unknown>;
  /** CONNACK (3.1.1). */
  returnCode?: number;
  sessionPresent?: boolean;
}
export type WriteOptions = { protocolVersion?: number } | undefined;
/** True when the hook has taken the packet: it is not written now (it may be later, through writeNow). */
export type WriteHook = (packet: OutgoingPacket, opts: WriteOptions) => boolean;

type WriteToStream = ((packet: OutgoingPacket, stream: NodeJS.WritableStream, opts?: WriteOptions) => boolean) & { cacheNumbers?: boolean };

export type ConnackHook = (packet: OutgoingPacket, stream: object) => void;

const hooksKey = Symbol('rumah.writeHooks');
let connackHooks: ConnackHook[] = [];
type Hooked = { [hooksKey]?: WriteHook[] };

const exported = mqttPacket as unknown as { writeToStream: WriteToStream };
const original: WriteToStream = exported.writeToStream;
// mqtt-packet writes each 2-byte number (a topic's length, a packet identifier) from a cache of all 65,536 of them,
// made at the first packet it writes: ~6 MiB of Buffer objects kept for good, and at the hub's first CONNACK a
// young-generation collection copying them, ~10 ms of a device's first login after a start (issue 19 item 6, CPU
// profile). Without the cache each number is a 2-byte slice of Node's buffer pool, made when it is written.
original.cacheNumbers = false;
let hooked: WriteToStream | undefined;

function install(): void {
  if (hooked) return;
  const write = function writeToStream(packet: OutgoingPacket, stream: NodeJS.WritableStream, opts?: WriteOptions): boolean {
    if (connackHooks.length !== 0 && packet.cmd === 'connack') for (const hook of connackHooks) hook(packet, stream);
    const hooks = (stream as Hooked)[hooksKey];
    if (hooks !== undefined) {
      for (let i = 0; i < hooks.length; i++) if (hooks[i]!(packet, opts)) return true;
    }
    if (packet.cmd === 'connack' && opts?.protocolVersion !== 5 && typeof packet.returnCode === 'number') return stream.write(connack31(packet));
    return write5(packet, stream, opts);
  } as WriteToStream;
  // MQTT.js sets writeToStream.cacheNumbers on the object it imports; it must still reach mqtt-packet.
  Object.defineProperty(write, 'cacheNumbers', {
    get: () => original.cacheNumbers,
    set: (value: boolean) => void (original.cacheNumbers = value),
  });
  exported.writeToStream = write;
  hooked = write;
}

/**
 * Every CONNACK written, to any stream, before it is encoded: the broker corrects what aedes decided there (Session
 * Present, Shared Subscription Available) in one hook for all its clients, instead of a hook on each connection
 * (each hook decides whether the stream is one of its broker's). Returns a function that removes it.
 */
export function hookConnacks(hook: ConnackHook): () => void {
  install();
  connackHooks = [...connackHooks, hook];
  return () => void (connackHooks = connackHooks.filter((h) => h !== hook));
}

/** Adds `hook` for the packets written to `stream`; returns a function that removes it. */
export function hookWrites(stream: object, hook: WriteHook): () => void {
  install();
  const s = stream as Hooked;
  s[hooksKey] = [...(s[hooksKey] ?? []), hook];
  return () => {
    const hooks = s[hooksKey];
    if (!hooks) return;
    // A new array, never the one being walked: a hook that removes itself while a packet goes through the hooks (as
    // the CONNACK hooks do) must not make the walk skip the hook after it.
    const left = hooks.filter((h) => h !== hook);
    // None left: the write path is back to a single property read. (Not `delete`: that would turn the socket into a
    // dictionary-mode object, slowing every property access on the busiest object of the connection.)
    s[hooksKey] = left.length ? left : undefined;
  };
}

/** Writes past the hooks (a packet a hook took and now releases). */
export function writeNow(packet: OutgoingPacket, stream: NodeJS.WritableStream, opts: WriteOptions): boolean {
  return write5(packet, stream, opts);
}

const generate = (mqttPacket as unknown as { generate(packet: OutgoingPacket, opts?: WriteOptions): Buffer }).generate;

/**
 * An MQTT 5 PUBLISH with properties as one buffer and one write. mqtt-packet writes each property as writes of its
 * own (the identifier, each length, each string: ~15 for a User Property and a Message Expiry), into a socket the
 * hub corks for the turn (write-coalescer.ts). Measured with 100 MQTT 5 publishers at 23,000 msg/s, each message with
 * a User Property: the MQTT 5 subscriber of them all got 2,500–5,000 msg/s while they published and the rest only
 * once they stopped; one write per packet delivers them as they come, as for messages without properties.
 */
function write5(packet: OutgoingPacket, stream: NodeJS.WritableStream, opts: WriteOptions): boolean {
  if (opts?.protocolVersion !== 5 || packet.cmd !== 'publish' || packet.properties === undefined) return original(packet, stream, opts);
  return stream.write(generate(packet, opts));
}

/**
 * A 3.1 / 3.1.1 CONNACK, 4 bytes (3.2: type, remaining length 2, the Session Present flag, the return code), as one
 * buffer and one write: mqtt-packet writes it in four (header, length, flags, code), each through the socket's
 * buffering, at every login (issue 19 item 1, a reconnect storm's CPU profile). MQTT 5 CONNACKs carry properties and
 * are mqtt-packet's to encode.
 */
function connack31(packet: OutgoingPacket): Buffer {
  return Buffer.from([0x20, 0x02, packet.sessionPresent ? 0x01 : 0x00, packet.returnCode! & 0xff]);
}
