import { pino } from 'pino';
import { resolveCredentials } from './credentials.js';
import { layoutDevices } from './layout.js';
import { Link } from './link.js';
import { checkOptions, type SimulationOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import type { CommandResult, ConnectionCodec, ConventionName, Message, SimDevice } from './types.js';
import { WIRES } from './wire/index.js';

// The composition root of a simulation: lay out the home, group devices into connections, get credentials, open
// the connections, give devices turns at the requested rate, and answer commands. stop() undoes it in reverse.

export interface SimulationStats {
  devices: number;
  connections: number;
  /** Devices whose connection is up and announced. */
  connected: number;
  connectionsOpen: number;
  /** Every message published: announcements, telemetry, confirmations, replies, retirements. */
  published: number;
  /** Scheduled telemetry messages only: what `rate` governs. */
  telemetry: number;
  /** Messages on a command topic that the device understood. */
  commandsReceived: number;
  /** Commands confirmed by publishing the new state. */
  confirmations: number;
  /** Messages on subscribed topics that meant nothing to the device. */
  ignored: number;
  /** Turns passed over because the connection was busy: a PUBACK pending, or the send buffer full (the hub pushing back). */
  deferred: number;
  /** CONNACKs refusing the credentials: the join window closed, or the candidate not accepted yet. */
  readonly refused: number;
  /** Publishes or subscriptions the hub turned down after CONNACK, and connections it closed after a publish (link.ts). */
  readonly rejected: number;
  readonly attempts: number;
  readonly errors: number;
}

export interface ConnectionInfo {
  clientId: string;
  username?: string;
  connected: boolean;
  attempts: number;
  refused: number;
  /** Turned down after it connected (see SimulationStats.rejected), and the last reason. */
  rejected: number;
  problem?: string;
  devices: string[];
}

export interface Simulation {
  readonly convention: ConventionName;
  readonly rate: number;
  readonly seed: number;
  readonly devices: readonly SimDevice[];
  /** Live counters; read them, do not write them. */
  readonly stats: Readonly<SimulationStats>;
  connections(): ConnectionInfo[];
  /** Clean: every device offline, then DISCONNECT. Abrupt: sockets dropped, the broker publishes the wills. */
  stop(opts?: { abrupt?: boolean }): Promise<void>;
}

export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const o = checkOptions(options);
  const log = o.log ?? pino({ level: 'silent' });
  const wire = WIRES[o.convention];
  const devices = layoutDevices({ count: o.devices, seed: o.seed, home: o.home, kinds: o.kinds });
  const groups = group(devices, Math.min(devices.length, o.connections ?? (wire.gateway ? 1 : devices.length)));
  const codecs: ConnectionCodec[] = groups.map((g, i) => wire.connection(g, i));
  const credentials = await resolveCredentials(codecs.length, o);
  const sum = (key: 'refused' | 'rejected' | 'attempts' | 'errors'): number => links.reduce((n, l) => n + l[key], 0);
  const stats: SimulationStats = {
    devices: devices.length, connections: codecs.length, connected: 0, connectionsOpen: 0, published: 0, telemetry: 0,
    commandsReceived: 0, confirmations: 0, ignored: 0, deferred: 0,
    // Counted by each connection; summed when read.
    get refused() { return sum('refused'); },
    get rejected() { return sum('rejected'); },
    get attempts() { return sum('attempts'); },
    get errors() { return sum('errors'); },
  };
  const timers = new Set<NodeJS.Timeout>();

  const links = codecs.map((codec, i) => {
    const link: Link = new Link({
      url: o.url, clientId: codec.clientId, ...credentials[i], will: codec.will, subscriptions: codec.subscriptions,
      keepalive: o.keepalive, backoff: o.backoff, log, ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}),
      announce: () => codec.announce(),
      onMessage: (topic, payload, retained) => answer(codec, link, topic, payload.toString('utf8'), retained),
      onChange(up) {
        // Counted once announced: a device counts as connected when the hub has heard it introduce itself.
        stats.connectionsOpen += up ? 1 : -1;
        stats.connected += up ? codec.devices.length : -codec.devices.length;
        log.debug({ clientId: codec.clientId, up }, up ? 'connected' : 'disconnected');
      },
      onPublished: (n) => (stats.published += n),
    });
    return link;
  });
  const linkOf = new Map<SimDevice, number>();
  codecs.forEach((c, i) => c.devices.forEach((d) => linkOf.set(d, i)));

  function answer(codec: ConnectionCodec, link: Link, topic: string, payload: string, retained: boolean): void {
    let result: CommandResult | undefined;
    try {
      result = codec.command(topic, payload, retained);
    } catch (err) {
      // A malformed command must not take the simulation down; a real device would ignore it too.
      log.warn({ topic, err: (err as Error).message }, 'command could not be decoded');
    }
    if (!result) {
      stats.ignored++;
      return;
    }
    const send = (msgs: Message[]): void => msgs.forEach((m) => link.publish({ ...m, qos: m.qos ?? 1 }));
    if (result.reply?.length) {
      const reply = result.reply;
      if (result.replyDelayMs) {
        const t = setTimeout(() => (timers.delete(t), send(reply)), result.replyDelayMs);
        timers.add(t);
      } else send(reply);
    }
    const d = result.device;
    if (!d) return;
    stats.commandsReceived++;
    const touched = new Set(result.report ?? []);
    const now = Date.now();
    for (const { property, value } of result.set ?? []) {
      // Refused or not, the property is reported back: the hub learns the device's truth either way.
      if (!d.model.set(property, value, now)) log.debug({ device: d.slug, property, value }, 'command refused by the device');
      touched.add(property);
    }
    if (touched.size === 0) return;
    send(codec.confirm(d, [...touched]));
    stats.confirmations++;
  }

  let cursor = 0;
  const scheduler = new Scheduler({
    rate: o.rate,
    idleTurns: devices.length,
    turn(): number {
      const d = devices[cursor]!;
      cursor = (cursor + 1) % devices.length;
      const i = linkOf.get(d)!;
      const link = links[i]!;
      if (!link.ready) return 0;
      if (!link.canReport) {
        stats.deferred++;
        return 0;
      }
      const tick = d.model.tick(Date.now());
      if (!tick.report) return 0;
      let sent = 0;
      for (const m of codecs[i]!.telemetry(d, tick)) if (link.publish(m)) sent++;
      stats.telemetry += sent;
      return sent;
    },
  });

  log.info({ convention: o.convention, devices: devices.length, connections: links.length, rate: o.rate, seed: o.seed }, 'simulation starting');
  for (const link of links) link.start();
  scheduler.start();

  let stopping: Promise<void> | undefined;
  return {
    convention: o.convention,
    rate: o.rate,
    seed: o.seed,
    devices,
    stats,
    connections: () => codecs.map((c, i) => ({
      clientId: c.clientId, username: links[i]!.username, connected: links[i]!.ready, attempts: links[i]!.attempts,
      refused: links[i]!.refused, rejected: links[i]!.rejected, ...(links[i]!.problem ? { problem: links[i]!.problem } : {}), devices: c.devices.map((d) => d.slug),
    })),
    stop(opts = {}) {
      stopping ??= (async () => {
        scheduler.stop();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await Promise.all(links.map((l, i) => l.stop(codecs[i]!.retire(), opts.abrupt === true)));
      })();
      return stopping;
    },
  };
}

/** Contiguous groups of nearly equal size: connection i carries devices [i·n/k, (i+1)·n/k). */
function group<T>(items: readonly T[], k: number): T[][] {
  return Array.from({ length: k }, (_, i) => items.slice(Math.floor((i * items.length) / k), Math.floor(((i + 1) * items.length) / k)));
}
