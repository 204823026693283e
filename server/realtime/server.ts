import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { AuthApi } from '../api/auth.js';
import type { DevicesApi } from '../api/devices.js';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import { DeltaCoalescer } from './coalescer.js';
import { commandHandler } from './commands.js';
import { LiveTopics } from './live-topics.js';
import type { BrokerViewSource } from './broker-stats.js';
import type { RuleSource } from './rule-events.js';
import { NotificationFeed } from './notifications.js';
import { PendingCommands } from './pending.js';
import { deltaChars, deviceChars, inParts } from './parts.js';
import { coalesceMs, pendingTimeoutMs, socketPath, type AccountItem, type AreaView, type ClientToServer, type DeviceDelta, type LiveDevice, type LogbookBatch, type NotificationBatch, type PairingView, type ServerToClient, type Snapshot } from './protocol.js';
import { authenticateSocket, sameOrigin, type SocketData } from './socket-auth.js';
import { wireStates } from './wire.js';

export interface RealtimeDeps {
  auth: AuthApi;
  devices: DevicesApi;
  registry: Registry;
  states: StateStore;
  bus: EventBus;
  log: Logger;
  /** The join window and its candidates, pushed to admins when they change. */
  pairing?: { state(): PairingView };
  /** How often open sockets' sessions are checked again (expired, logged out elsewhere, user deleted). */
  revalidateMs?: number;
  /** The names the hub answers to (server/http/host-check.ts): a handshake naming another is refused. */
  hostCheck?: { allows(host: string | undefined): boolean };
  /** Floors and rooms, pushed on connect and whenever they change (server/api/areas.ts). */
  areas?: { list(): AreaView[]; onChange(fn: () => void): () => void };
  /** Live pages (live-topics.ts): rules and their evaluations, the broker page, device accounts. */
  rules?: RuleSource;
  brokerView?: BrokerViewSource;
  accounts?: () => Promise<AccountItem[]>;
  /**
   * Notifications kept since the hub started, by a feed the hub started before its MQTT listeners (this server comes
   * up after them); its batches come back through sendNotifications. Without it, the server keeps its own from start().
   */
  notifications?: NotificationFeed;
}

type LiveServer = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
export type LiveSocket = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** Every authenticated socket joins this room; deltas are broadcast to it (encoded once for all sockets). */
const room = 'live';
/** Admins' sockets also join this one: pairing candidates are theirs only. */
const adminRoom = 'admins';

/**
 * The dashboard's live channel: socket.io on the hub's HTTP server. A snapshot on connect, then coalesced deltas;
 * commands go through DevicesApi.command, the same path as REST and rules.
 */
export class RealtimeServer {
  private io?: LiveServer;
  private readonly pending: PendingCommands;
  private readonly coalescer: DeltaCoalescer;
  private readonly notifications: NotificationFeed;
  private readonly topics: LiveTopics;
  /** Session tokens of open sockets, to check them again later; memory only, never logged or sent. */
  private readonly sessions = new WeakMap<object, string>();
  /** API tokens of open sockets, checked again like sessions: a token revoked while no hub heard of it still ends. */
  private readonly bearers = new WeakMap<object, string>();
  private revalidator?: NodeJS.Timeout;
  private pairingTimer?: NodeJS.Timeout;
  private readonly offs: Array<() => void> = [];
  private stopping?: Promise<void>;

  constructor(private readonly deps: RealtimeDeps) {
    const { bus, registry } = deps;
    this.coalescer = new DeltaCoalescer({
      bus, intervalMs: coalesceMs, getDevice: (id) => registry.get(id), listDevices: () => registry.list(),
      flush: (devices) => this.broadcast(devices),
      listening: () => (this.io?.sockets.adapter.rooms.get(room)?.size ?? 0) > 0,
    });
    this.notifications = deps.notifications ?? new NotificationFeed({ bus, intervalMs: coalesceMs, flush: (batch) => this.sendNotifications(batch) });
    this.topics = new LiveTopics({ io: () => this.io, bus, log: deps.log, intervalMs: coalesceMs, rules: deps.rules, broker: deps.brokerView, accounts: deps.accounts });
    this.pending = new PendingCommands(bus, (change) => this.coalescer.pendingChanged(change), pendingTimeoutMs,
      (deviceId, property) => deps.states.value(deviceId, property));
  }

  start(httpServer: http.Server): void {
    const io: LiveServer = new Server(httpServer, {
      path: socketPath,
      // The dashboard bundles its own client; serving another copy would be one more file to keep in step.
      serveClient: false,
      // MQTT over WebSocket (/mqtt) shares this server's upgrade event: leave upgrades that are not ours alone.
      destroyUpgrade: false,
      allowRequest: (req, fn) => (this.deps.hostCheck && !this.deps.hostCheck.allows(req.headers.host) ? fn('unknown host name', false) : sameOrigin(req, fn)),
      // Commands are small; a bigger frame is a mistake or an attack.
      maxHttpBufferSize: 64 * 1024,
      // The snapshot of 1,000 devices is ~1 MB of repetitive JSON: compressed, ~10 times smaller for a phone on
      // Wi-Fi. Delta batches below the threshold go as they are (no CPU spent); no context kept between messages,
      // so an idle socket holds no zlib memory.
      perMessageDeflate: { threshold: 16 * 1024, zlibDeflateOptions: { level: 1 }, serverNoContextTakeover: true, clientNoContextTakeover: true },
      cors: undefined,
    });
    this.io = io;
    io.use(authenticateSocket(this.deps.auth, (socket, c) => ('session' in c ? this.sessions.set(socket, c.session) : this.bearers.set(socket, c.token))));
    io.on('connection', (socket) => this.connected(socket));
    this.pending.start();
    this.coalescer.start();
    if (!this.deps.notifications) this.notifications.start();
    this.topics.start();
    if (this.deps.pairing) {
      const push = (): void => this.pushPairing();
      this.offs.push(this.deps.bus.on('candidateChanged', 'realtime', push), this.deps.bus.on('joinWindowChanged', 'realtime', push));
    }
    if (this.deps.areas) this.offs.push(this.deps.areas.onChange(() => this.io?.to(room).emit('areas', { areas: this.deps.areas!.list() })));
    this.revalidator = setInterval(() => void this.revalidate(), this.deps.revalidateMs ?? 60_000);
    this.revalidator.unref();
  }

  get connections(): number {
    return this.io?.engine.clientsCount ?? 0;
  }

  /** A batch of notifications to every open dashboard. */
  sendNotifications(batch: NotificationBatch): void {
    this.io?.to(room).emit('notifications', batch);
  }

  /** New logbook entries (server/logbook) to every open dashboard (few: rate-limited at their source); logins and pairing to admins only. */
  sendLogbook(everyone: LogbookBatch, adminsOnly: LogbookBatch): void {
    if (everyone.entries.length) this.io?.to(room).emit('logbook', everyone);
    if (adminsOnly.entries.length) this.io?.to(adminRoom).emit('logbook', adminsOnly);
  }

  /** Logout: the sockets opened with this session close now, not at the next revalidation. */
  endSession(token: string): void {
    for (const socket of this.sockets()) if (this.sessions.get(socket) === token) this.end(socket);
  }

  /** A user was deleted or demoted: their sockets close and reconnect (or not) with what they are now. */
  endUser(username: string): void {
    for (const socket of this.sockets()) if (socket.data.principal.username === username) this.end(socket);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.revalidator);
      clearTimeout(this.pairingTimer);
      for (const off of this.offs.splice(0)) off();
      this.coalescer.stop();
      if (!this.deps.notifications) this.notifications.stop();
      this.topics.stop();
      this.pending.stop();
      // io.close() would also close the HTTP server, which the hub closes itself: disconnect the sockets only.
      this.io?.disconnectSockets(true);
      this.io?.engine.close();
    })();
    return this.stopping;
  }

  /**
   * A new dashboard socket. Whatever fails here (encoding a snapshot, a bug) closes this socket and is logged: an
   * exception thrown in socket.io's connection handler would otherwise end the whole process.
   */
  private connected(socket: LiveSocket): void {
    const log = this.deps.log.child({ socket: socket.id, user: socket.data.principal.username });
    try {
      log.debug('dashboard connected');
      socket.on('disconnect', (reason) => log.debug({ reason }, 'dashboard disconnected'));
      socket.on('command', guarded(socket, log, commandHandler(socket, this.deps.devices, log)));
      this.topics.attach(socket, log);
      // Join before the snapshot: a delta batch emitted in between is applied on top of it, harmlessly (deltas are
      // absolute values); joining after could lose one.
      void socket.join(room);
      if (this.deps.areas) socket.emit('areas', { areas: this.deps.areas.list() }); // before the snapshot: the page groups it by them
      this.sendSnapshot(socket);
      const recent = this.notifications.latest();
      if (recent.notifications.length > 0) socket.emit('notifications', recent);
      if (socket.data.principal.role === 'admin' && this.deps.pairing) {
        void socket.join(adminRoom);
        socket.emit('pairing', this.deps.pairing.state());
      }
    } catch (err) {
      log.error({ err }, 'dashboard connection failed; socket closed');
      socket.disconnect(true);
    }
  }

  /**
   * The snapshot in parts of at most PART_CHARS (parts.ts): the first part is the `snapshot` event, the others
   * follow at once as `deltas` that add whole devices, which the dashboard already applies (a delta with `device`
   * adds a device it did not know). All parts are emitted in this one turn, so no other batch comes in between.
   */
  private sendSnapshot(socket: LiveSocket): void {
    const { devices: list, serverTime, user } = this.snapshot(socket);
    const parts = inParts(list, (d) => deviceChars(this.deps.states.size(d.id), d.capabilities.length));
    socket.emit('snapshot', { user, devices: parts[0] ?? [], serverTime });
    for (const part of parts.slice(1)) {
      const devices: DeviceDelta[] = part.map(({ state, pending, ...device }) => ({ id: device.id, device, state, pending }));
      socket.emit('deltas', { devices, serverTime });
    }
  }

  /**
   * A delta batch to every dashboard, in parts (parts.ts). A batch that cannot be sent is not worth the process:
   * it is logged and the sockets are closed, so that they reconnect and start again from a fresh snapshot.
   */
  private broadcast(devices: DeviceDelta[]): void {
    const serverTime = Date.now();
    try {
      for (const part of inParts(devices, deltaChars)) this.io?.to(room).emit('deltas', { devices: part, serverTime });
    } catch (err) {
      this.deps.log.error({ err, devices: devices.length }, 'delta batch could not be sent; dashboards reconnect');
      this.io?.in(room).disconnectSockets(true);
    }
  }

  /** A burst of candidate activity (a device retrying its publishes) becomes one push per coalescing interval. */
  private pushPairing(): void {
    if (this.pairingTimer) return;
    this.pairingTimer = setTimeout(() => {
      this.pairingTimer = undefined;
      const state = this.deps.pairing?.state();
      if (state) this.io?.to(adminRoom).emit('pairing', state);
    }, coalesceMs);
    this.pairingTimer.unref();
  }

  private snapshot(socket: LiveSocket): Snapshot {
    const { username, role } = socket.data.principal;
    const devices: LiveDevice[] = this.deps.devices.list().map((d) => ({ ...d, state: wireStates(d.id, d.state), pending: this.pending.of(d.id) }));
    return { user: { username, role }, devices, serverTime: Date.now() };
  }

  private async revalidate(): Promise<void> {
    for (const socket of this.sockets()) {
      const session = this.sessions.get(socket);
      const bearer = this.bearers.get(socket);
      if (!session && !bearer) continue;
      const principal = await (session ? this.deps.auth.fromSession(session) : this.deps.auth.fromToken(bearer)).catch(() => undefined);
      if (!principal) this.end(socket);
      else socket.data.principal = principal;
    }
  }

  private sockets(): LiveSocket[] {
    return this.io ? [...this.io.of('/').sockets.values()] : [];
  }

  private end(socket: LiveSocket): void {
    socket.emit('session', { ended: true });
    socket.disconnect(true);
  }
}

/**
 * A client event's listener that cannot take the process down: socket.io calls listeners from process.nextTick, so
 * an exception thrown in one would be uncaught. It closes this socket instead, and is logged.
 */
function guarded<A extends unknown[]>(socket: LiveSocket, log: Logger, listener: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      listener(...args);
    } catch (err) {
      log.error({ err }, 'dashboard event failed; socket closed');
      socket.disconnect(true);
    }
  };
}
