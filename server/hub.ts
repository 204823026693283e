// First: dependencies loaded after it get loggers that cost nothing while DEBUG is off (see quiet-debug.ts), and
// readable-stream hands out Node's own streams (see core-streams.ts).
import './quiet-debug.js';
import './core-streams.js';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import type net from 'node:net';
import type { Config } from './config/schema.js';
import { EventBus } from './core/event-bus.js';
import { ErrorCodes, RumahError } from './core/errors.js';
import type { Logger } from './core/logger.js';
import type { QueuedChange } from './store/change-columns.js';
import { Registry } from './core/registry.js';
import { StateStore } from './core/state-store.js';
import { scryptPool } from './auth/scrypt-pool.js';
import { DeviceLog } from './core/device-log.js';
import { LoopLag } from './core/loop-lag.js';
import { Broker } from './mqtt/broker.js';
import { aedesInternals } from './mqtt/aedes-internals.js';
import { listenTcp, listenTls } from './mqtt/listeners.js';
import type { TlsService, TlsInfo } from './tls/service.js';
import { openStore, type Store } from './store/index.js';
import { AuthApi } from './api/auth.js';
import { listenError } from './listen-error.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { CommandLimit } from './api/command-limit.js';
import { DevicesApi } from './api/devices.js';
import { AreasApi } from './api/areas.js';
import { AreasRepo } from './store/areas-repo.js';
import type { UsersApi } from './api/users.js';
import type { RealtimeServer } from './realtime/server.js';
import { NotificationFeed } from './realtime/notifications.js';
import { coalesceMs } from './realtime/protocol.js';
import { conventionFactories } from '../devices/conventions.js';
import { DevicePersister } from './store/device-persister.js';
import { PairingApi } from './api/pairing.js';
import { PairingAuthenticator } from '../devices/pairing/authenticator.js';
import { createSqlitePersistence, type SqlitePersistence } from './mqtt/persistence/sqlite-persistence.js';
import { CauseTracker } from '../rules/engine/cause-tracker.js';
import type { Clock } from '../rules/engine/clock.js';
import type { RulesEngine, RulesEngineOptions } from '../rules/engine/engine.js';
import type { MqttSnGateway } from './mqttsn/gateway.js';
import type { BackupService } from './backup/service.js';
import { prepareDataDir } from './backup/hub-start.js';
import type { Bridges } from './bridge/service.js';
import type { BridgesAdmin } from './bridge/admin.js';
import type { Exports } from './export/exports.js';
import { isOwnExportTopic } from './export/ha-topics.js';
import { guardExportTopics } from './export/export-acl.js';
import type { Logbook } from './logbook/logbook.js';

export interface HubOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Admin password for a first start (RUMAH_ADMIN_PASSWORD). */
  adminPassword?: string;
  /** The built dashboard; dist/web beside dist/server by default. */
  webRoot?: string;
  now?: () => number;
  /** Test seam: SQLite's max_page_count on broker.db stands in for a full disk. */
  brokerStoreMaxPages?: number;
  /** Benchmark seam: e.g. the history writer's onWritten hook, to time publish → row. */
  onHistoryWritten?: (changes: readonly QueuedChange[], committedAt: number) => void;
  /** The rules engine's clock: tests move `for`, delays and schedules forward by hand. */
  clock?: Clock;
  /** Rules engine tuning (guard limits, traces kept, reload debounce): tests and benchmarks. */
  rules?: Pick<RulesEngineOptions, 'limits' | 'keepTraces' | 'watchDebounceMs' | 'traceFlushMs'>;
  /** The first-run page restored a backup: stop this hub and start a new one on the folder (main.ts). */
  restart?: () => void;
}

export interface Runtime {
  /** Plain MQTT; 0 when there is none (TLS on with tls.plainMqtt: false). */
  mqttPort: number;
  /** HTTP, or HTTPS when `tls` is set. */
  httpPort: number;
  tls?: { mqttPort: number } & Pick<TlsInfo, 'source' | 'fingerprint256' | 'caFingerprint256'>;
  /** The MQTT-SN gateway's UDP port, when mqttsn.enabled. */
  mqttsnPort?: number;
  bind: string;
  pid: number;
  startedAt: number;
}

/**
 * The composition root: builds every part with its dependencies, starts them in order and stops them in reverse.
 */
export class Hub {
  readonly bus: EventBus;
  readonly states: StateStore;
  readonly deviceLog = new DeviceLog();
  readonly loopLag = new LoopLag();
  store!: Store;
  registry!: Registry;
  broker!: Broker;
  auth!: AuthApi;
  devices!: DevicesApi;
  users!: UsersApi;
  /** Set once the web stack is up, the last thing Hub.start does (closures made before it use `?.`). */
  realtime!: RealtimeServer;
  runtime?: Runtime;
  setupCode?: string;
  persistence?: SqlitePersistence;
  pairing!: PairingApi;
  rules!: RulesEngine;
  mqttsn?: MqttSnGateway;
  backups!: BackupService;
  bridges?: Bridges;
  bridgesAdmin?: BridgesAdmin;
  exports?: Exports;
  logbook?: Logbook;
  /** Carries rules' causes through the broker to the state changes they make (loop guard, traces). */
  readonly ruleCauses = new CauseTracker();
  private tcp?: net.Server;
  private mqttTls?: net.Server;
  private http?: http.Server;
  tls?: TlsService;
  private persister?: DevicePersister;
  areas!: AreasApi;
  private readonly stops: Array<() => Promise<void> | void> = [];
  private stopping?: Promise<void>;

  constructor(private readonly opts: HubOptions) {
    this.bus = new EventBus(opts.log.child({ module: 'bus' }));
    this.states = new StateStore(this.bus, opts.log.child({ module: 'states' }));
  }

  async start(): Promise<Runtime> {
    const { config, log } = this.opts;
    ensureWritableDir(config.dataDir);
    const lock = await lockDataDir(config.dataDir);
    this.stops.push(() => lock.release());
    // A restore staged by the first-run page is put in place, and old data backed up before it is migrated.
    await prepareDataDir(config.dataDir, log);
    this.loopLag.start();
    this.stops.push(() => this.loopLag.stop());
    // The pool is the process's; the last hub started reports its failures, until it stops (tests run several).
    const onHashThreadError = (err: unknown): void => log.error({ err }, 'a password-hashing thread failed; logins hash on libuv for a minute, then threads are tried again');
    scryptPool.onThreadError = onHashThreadError;
    this.stops.push(() => void (scryptPool.onThreadError === onHashThreadError && (scryptPool.onThreadError = undefined)));
    if (config.tls.enabled) {
      // First, so a certificate that cannot be used stops the start before anything else is opened.
      // Modules only some setups use (TLS, MQTT-SN) are imported when configured: the first CONNACK waits for every import.
      const { TlsService } = await import('./tls/service.js');
      this.tls = new TlsService({ config: config.tls, dataDir: config.dataDir, bind: config.bind, log: log.child({ module: 'tls' }) });
      await this.tls.start();
      this.stops.push(() => this.tls?.stop());
    }

    const brokerLog = log.child({ module: 'broker' });
    if (config.mqtt.persistence === 'sqlite') {
      this.persistence = createSqlitePersistence({ file: path.join(config.dataDir, 'broker.db'), log: brokerLog, maxPageCount: this.opts.brokerStoreMaxPages });
      // aedes never destroys its persistence; this runs after the broker's stop (stops run in reverse).
      this.stops.push(() => this.persistence?.destroy());
      // broker.db opens (on libuv's pool) while rumah.db does; the broker's start takes the outcome. Caught here only
      // so that a failure before then leaves no unhandled rejection; it is thrown by the broker's start.
      this.persistence.open().catch(() => undefined);
    }
    this.store = await openStore(config.dataDir, log, {
      checkpointIntervalMs: 1000,
      // rumah.db's integrity check reads every page (~120 ms for 46 MiB): beside the reads below, before the first write.
      database: { checkBeside: true },
      history: { maxQueue: config.history.maxQueue, onWritten: this.opts.onHistoryWritten },
      retention: { rawDays: config.history.rawDays, hourlyDays: config.history.hourlyDays },
    });
    this.stops.push(() => this.store.close());

    this.areas = new AreasApi(new AreasRepo(this.store.db), log.child({ module: 'areas' }));
    const conventionLog = log.child({ module: 'devices' });
    const now = this.opts.now ?? Date.now;
    this.registry = new Registry({
      bus: this.bus, log: conventionLog, states: this.states, maxDevicesPerAccount: config.devices.maxPerAccount, now,
      conventions: conventionFactories.map((f) => f({ log: conventionLog, now, getDevice: (id) => this.registry.get(id), topicOwner: (topic) => this.pairing?.acl.ownerOf(topic) })),
      publish: (msg) => void this.broker?.publish(msg).catch((err: Error) => conventionLog.warn({ topic: msg.topic, err: err.message }, 'reply to a device not published')),
      topicOwner: (topic) => this.pairing?.acl.ownerOf(topic), place: (device) => this.areas.place(device),
      staleness: { factor: config.devices.staleFactor, minSeconds: config.devices.staleMinSeconds, firstSeconds: config.devices.staleFirstSeconds },
    });
    this.stops.push(() => this.registry.stop());
    // Beside rumah.db's integrity check (openStore above): a read that fails on a damaged page gives way to the
    // check's own verdict (DB_OPEN, exit 3), which is awaited before the first write (areas.adopt below).
    await this.restoreFromStore().catch(async (err: unknown) => {
      await this.store.db.checked;
      throw err;
    });
    await this.store.db.checked;

    this.persister = new DevicePersister(this.store.devices, log.child({ module: 'store' }));
    this.persister.attach(this.bus, this.registry);
    await this.areas.adopt(this.registry); // after attach: devices whose area names changed are saved
    this.stops.push(() => this.persister?.stop());
    this.bus.on('stateChanged', 'history', (change) => this.store.writer.enqueue(change));
    // Before the registry: a message a rule published must be known as the rule's while the registry parses it.
    this.bus.on('message', 'rule-causes', (msg) => this.ruleCauses.enter(msg));
    this.bus.on('message', 'registry', (msg) => isOwnExportTopic(msg.topic) || this.registry.handleMessage(msg));
    this.bus.on('clientDisconnected', 'registry', (e) => {
      if (e.reason !== 'closed') this.registry.clientLost(e.clientId);
    });

    this.auth = new AuthApi(this.store, log.child({ module: 'auth' }));
    // A first start's admin password is hashed (scrypt, on libuv's pool) while the broker is built; a login that is
    // not a device's waits for it (AuthApi.booting), the start after the listeners. Caught here only so that an earlier failure leaves no unhandled rejection.
    const booting = this.auth.bootstrap(this.opts.adminPassword);
    booting.catch(() => undefined);

    this.deviceLog.attach(this.bus);
    this.pairing = new PairingApi({ store: this.store, bus: this.bus, log: log.child({ module: 'pairing' }), conventions: () => this.registry.conventions, deviceLog: this.deviceLog });
    const authenticator = new PairingAuthenticator(this.auth, this.pairing.window, this.pairing.candidates, (username) => this.bus.emit('candidateChanged', { username, state: 'pending' }));
    const mqttAuth = this.tls && config.tls.clientCertificates ? new (await import('./tls/client-auth.js')).CertificateAuthenticator(authenticator, this.store.accounts) : authenticator;
    const mqttsn = config.mqttsn.enabled ? await import('./mqttsn/start.js') : undefined;
    const snLogins = mqttsn?.mqttSnLogins(config, mqttAuth, this.store.accounts);
    this.broker = await Broker.create({
      config: config.mqtt, log: brokerLog, bus: this.bus,
      auth: snLogins ?? mqttAuth, acl: guardExportTopics(this.pairing.acl),
      persistence: this.persistence, durable: this.persistence !== undefined, queues: this.persistence && ((topic) => this.persistence!.queuesFor(topic)),
      // History far behind, or many rule fires waiting for busy runs (rules/engine/backlog.ts): devices wait.
      held: () => this.store.writer.behind || (this.rules !== undefined && this.rules.backlog.behind),
    });
    this.pairing.attachBroker(this.broker);
    this.auth.gate = this.broker.login.gate;
    this.pairing.acl.attach(this.bus, this.registry);
    this.bus.on('clientDisconnected', 'pairing', (e) => e.username && this.pairing.candidateDisconnected(e.username));
    // Held from before its start: a will it publishes for a session that ended while the hub was down waits too.
    this.broker.startGate.hold();
    await this.broker.start();
    this.stops.push(() => this.broker.stop());
    this.stops.push(() => this.pairing.stop());
    this.devices = new DevicesApi({
      registry: this.registry, states: this.states, broker: this.broker, bus: this.bus,
      history: this.store.history, flushHistory: () => this.store.writer.flush(), deviceLog: this.deviceLog,
      commandLimit: new CommandLimit({ rate: config.devices.commandRate, burst: config.devices.commandBurst }),
    });
    // Kept from here, as before the dashboard moved after the MQTT listeners: a dashboard opened later still shows them.
    const notifications = new NotificationFeed({ bus: this.bus, intervalMs: coalesceMs, flush: (batch) => this.realtime?.sendNotifications(batch) });
    notifications.start();
    this.stops.push(() => notifications.stop());
    this.auth.onLogin = (e) => this.bus.emit('userLogin', { ...e, ts: now() });

    // Start order (issue 19 item 6: a device waiting since a power cut gets its CONNACK first). What a login needs is
    // up: the accounts, the registry (restored), the ACL, the broker and its sessions. The listeners open now; the rest
    // (server/after-listen.ts) is loaded and built behind them. Until the broker's start gate is released below,
    // clients connect, log in and subscribe, while their publishes wait in flow control and the broker's events
    // (connected, disconnected, wills) are queued in order (server/mqtt/start-gate.ts): the rules, the logbook, the
    // bridges and the exports see every one of them. Events the hub raises itself meanwhile: a pairing candidate needs
    // the join window, closed at start; notifications go to the feed started above. A first start's admin may still
    // be being hashed: a login that is no device account's waits for it (AuthApi.booting).
    const listenerOptions = { broker: this.broker, log: log.child({ module: 'broker' }), host: config.bind, connectionsPerAddress: config.mqtt.connectionsPerAddress };
    let tcp: { port: number } | undefined;
    if (!this.tls || config.tls.plainMqtt) {
      const plain = await listenTcp({ ...listenerOptions, port: config.mqtt.port })
        .catch((err: NodeJS.ErrnoException) => {
          throw listenError('MQTT', config.bind, config.mqtt.port, '--mqtt-port', err);
        });
      this.tcp = plain.server;
      this.stops.push(() => closeServer(this.tcp));
      tcp = plain;
    }
    const mqtts = this.tls ? await this.listenMqttTls(listenerOptions) : undefined;
    const sn = mqttsn && snLogins && (await mqttsn.startMqttSn({ config, log: log.child({ module: 'mqttsn' }), broker: this.broker, acl: guardExportTopics(this.pairing.acl), logins: snLogins, db: this.store.db, pairing: this.pairing, accounts: this.store.accounts, bus: this.bus }));
    if (sn) this.stops.push(() => sn.gateway.stop());
    this.mqttsn = sn?.gateway;

    // Before each part loaded from here on, the CONNECTs already being handled are answered (connectsAnswered): a
    // part's modules and constructors hold the event loop for tens of milliseconds, and a login would wait behind them.
    await this.broker.startGate.connectsAnswered();
    const [parts, bootstrapped] = await Promise.all([import('./after-listen.js'), booting]);
    this.setupCode = bootstrapped.setupCode;
    await this.broker.startGate.connectsAnswered();
    const brokerPage = await parts.startParts(this, this.opts, (stop) => this.stops.push(stop));

    await this.replayRetained();
    // The conventions know every device fully now (HA configs, Tasmota prefixes): their owned topics, indexed again.
    this.pairing.acl.reindex(this.registry.list());
    for (const convention of this.registry.conventions) {
      for (const msg of convention.startMessages?.() ?? []) await this.broker.publish(msg);
    }

    await this.exports!.start();
    this.stops.push(() => this.exports?.stop());
    // Every listener of the bus is in place: what waited since the listeners opened goes through, in order.
    this.broker.startGate.release();
    this.rules.hubStarted();

    // The dashboard (express, socket.io, MQTT over WebSocket) last: its modules are a third of the start, and a device
    // waiting since a power cut should not wait for them. runtime.json below still means every listener is up.
    await this.broker.startGate.connectsAnswered();
    const { startWebStack } = await import('./web-stack.js');
    const web = await startWebStack(this, this.opts, { brokerPage, notifications });
    this.realtime = web.realtime;
    this.http = web.http;
    const httpPort = web.port;
    this.stops.push(() => closeServer(this.http));
    this.stops.push(() => web.realtime.stop());

    this.pairing.ports = { mqtt: tcp?.port ?? 0, ...(mqtts ? { mqtts: mqtts.port } : {}) };
    this.runtime = { mqttPort: tcp?.port ?? 0, httpPort, bind: config.bind, pid: process.pid, startedAt: Date.now(), ...(mqtts ? { tls: runtimeTls(mqtts.port, this.tls!.info) } : {}), ...(sn ? { mqttsnPort: sn.port } : {}) };
    this.writeRuntime();
    // A reloaded certificate changes its fingerprint, which the CLI pins: runtime.json follows.
    this.tls?.onChange((_options, info) => {
      if (this.runtime && mqtts) this.runtime.tls = runtimeTls(mqtts.port, info);
      this.writeRuntime();
    });
    return this.runtime;
  }

  /** The registry's devices, the areas and the last states, as rumah.db holds them. */
  private async restoreFromStore(): Promise<void> {
    this.registry.restore(await this.store.devices.all());
    await this.areas.load();
    for (const row of await this.store.state.all()) this.states.restore(row.deviceId, row.property, row.state);
  }

  private writeRuntime(): void {
    fs.writeFileSync(path.join(this.opts.config.dataDir, 'runtime.json'), JSON.stringify(this.runtime, null, 2) + '\n');
  }

  /** MQTT over TLS; a reloaded certificate is used by new connections (open ones keep theirs). */
  private async listenMqttTls(base: Omit<Parameters<typeof listenTls>[0], 'port' | 'secureContext' | 'requestCert' | 'handshakeTimeout'>): Promise<{ port: number }> {
    const { config } = this.opts;
    const tls = this.tls!;
    const listener = await listenTls({ ...base, port: config.tls.mqttPort, secureContext: tls.secureContext, requestCert: config.tls.clientCertificates, handshakeTimeout: config.mqtt.connectTimeout })
      .catch((err: NodeJS.ErrnoException) => {
        throw listenError('MQTT over TLS', config.bind, config.tls.mqttPort, '--tls-mqtt-port', err);
      });
    tls.onChange((options) => listener.server.setSecureContext(options));
    this.mqttTls = listener.server;
    this.stops.push(() => {
      closeServer(listener.server);
      listener.destroyAll();
    });
    return listener;
  }

  /**
   * Conventions learn devices from retained discovery messages; after a restart they must see them again, or
   * nothing they announced could be commanded. The registry's devices and states are already restored, so this
   * changes only what changed while the hub was down; it makes no new devices (Registry.upsert says why).
   */
  private async replayRetained(): Promise<void> {
    const persistence = aedesInternals(this.broker.aedes).persistence;
    for await (const packet of persistence.createRetainedStream('#')) {
      if (packet.topic.startsWith('$') || isOwnExportTopic(packet.topic)) continue;
      this.registry.handleMessage({ topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: true, replayed: true });
    }
    const skipped = this.registry.notRecreated;
    if (skipped.size > 0) {
      this.opts.log.info({ devices: skipped.size, first: [...skipped].slice(0, 5) }, 'retained messages of devices not in the registry (forgotten or refused) were not made into devices again; each comes back when it publishes');
      skipped.clear();
    }
  }

  /** Stops in reverse order of start; idempotent. History queued in memory is flushed before the DB closes. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const stop of this.stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          this.opts.log.error({ err }, 'error while stopping');
        }
      }
      this.bus.clear();
    })();
    return this.stopping;
  }
}

function ensureWritableDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new RumahError(ErrorCodes.DATA_DIR_UNWRITABLE, `data directory ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Give the hub's user write access, or choose another with --data DIR`);
  }
}

/** Stops accepting connections. Open MQTT connections are closed by the broker's stop, which comes next. */
function closeServer(server: net.Server | http.Server | undefined): void {
  if (!server?.listening) return;
  server.close();
  (server as http.Server).closeAllConnections?.();
}

function runtimeTls(mqttPort: number, info: TlsInfo): NonNullable<Runtime['tls']> {
  return { mqttPort, source: info.source, fingerprint256: info.fingerprint256, ...(info.caFingerprint256 ? { caFingerprint256: info.caFingerprint256 } : {}) };
}
