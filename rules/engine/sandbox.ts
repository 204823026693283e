// A hub without a network: the real registry, conventions, state store, command path and rules engine on an
// in-process bus, with a broker stand-in that records what is published and routes it back (as aedes would), and a
// ManualClock. `npm run rumah -- rules test` replays fixtures in it; unit tests drive the engine through it.

import { pino, type Logger } from 'pino';
import { conventionFactories } from '../../devices/conventions.js';
import { DevicesApi, type DevicesApiDeps } from '../../server/api/devices.js';
import { DeviceLog } from '../../server/core/device-log.js';
import { EventBus } from '../../server/core/event-bus.js';
import type { MqttMessage } from '../../server/core/events.js';
import { Registry } from '../../server/core/registry.js';
import { StateStore } from '../../server/core/state-store.js';
import { Database } from '../../server/store/database.js';
import { migrate } from '../../server/store/migrations.js';
import type { Location } from '../triggers/types.js';
import { CauseTracker } from './cause-tracker.js';
import { ManualClock } from './clock.js';
import { RulesEngine } from './engine.js';
import type { GuardLimits } from './guards.js';

export interface Published {
  at: number;
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface SandboxOptions {
  clock?: ManualClock;
  log?: Logger;
  timezone?: string;
  location?: Location;
  limits?: Partial<GuardLimits>;
  /** An in-memory SQLite for traces and timers (default true): what the hub stores, without a file. */
  database?: boolean;
}

export class Sandbox {
  readonly published: Published[] = [];
  private constructor(
    readonly bus: EventBus,
    readonly states: StateStore,
    readonly registry: Registry,
    readonly engine: RulesEngine,
    readonly clock: ManualClock,
    private readonly db: Database | undefined,
  ) {}

  static async create(opts: SandboxOptions = {}): Promise<Sandbox> {
    const log = opts.log ?? pino({ level: 'silent' });
    const clock = opts.clock ?? new ManualClock();
    const bus = new EventBus(log);
    const states = new StateStore(bus);
    const now = (): number => clock.now();
    const registry: Registry = new Registry({
      bus, log, states, maxDevicesPerAccount: 100_000, now,
      conventions: conventionFactories.map((f) => f({ log, now, getDevice: (id) => registry.get(id) })),
    });
    const tracker = new CauseTracker();
    bus.on('message', 'rule-causes', (msg) => tracker.enter(msg));
    bus.on('message', 'registry', (msg) => registry.handleMessage(msg));
    let sandbox: Sandbox | undefined;
    const broker = {
      async publish(msg: { topic: string; payload: string | Buffer; qos?: 0 | 1 | 2; retain?: boolean }): Promise<void> {
        const payload = typeof msg.payload === 'string' ? Buffer.from(msg.payload) : msg.payload;
        sandbox!.published.push({ at: clock.now(), topic: msg.topic, payload: payload.toString('utf8'), qos: msg.qos ?? 0, retain: msg.retain ?? false });
        // As the broker does: the message comes back on the bus, after this turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
        bus.emit('message', { topic: msg.topic, payload, qos: msg.qos ?? 0, retain: msg.retain ?? false });
      },
    };
    // The one command path, as the hub builds it; history is not needed by commands.
    const devices = new DevicesApi({ registry, states, broker, bus, history: undefined, flushHistory: async () => undefined, deviceLog: new DeviceLog() } as unknown as DevicesApiDeps);
    let db: Database | undefined;
    if (opts.database !== false) {
      db = await Database.open(':memory:', log, { quickCheckMaxBytes: 0 });
      await migrate(db, log);
    }
    const engine = new RulesEngine({
      bus, registry, states, broker, commander: devices, tracker, log, clock, ...(db ? { db } : {}),
      timezone: opts.timezone ?? 'UTC', ...(opts.location ? { location: opts.location } : {}), ...(opts.limits ? { limits: opts.limits } : {}),
    });
    sandbox = new Sandbox(bus, states, registry, engine, clock, db);
    await engine.start();
    return sandbox;
  }

  /** The hub has started: start triggers, keep blocks, catch-ups. */
  started(): void {
    this.engine.hubStarted();
  }

  load(file: string, text: string): Promise<void> {
    return this.engine.loadText(file, text);
  }

  /** A client (a device) publishes: the registry parses it, rules see it. */
  message(topic: string, payload: string, opts: { retain?: boolean; clientId?: string } = {}): void {
    const msg: MqttMessage = { topic, payload: Buffer.from(payload), qos: 0, retain: opts.retain ?? false, clientId: opts.clientId ?? 'fixture', username: opts.clientId ?? 'fixture' };
    this.bus.emit('message', msg);
  }

  /** Lets publishes and runs started by the last message settle. */
  async settle(): Promise<void> {
    await this.clock.advance(0);
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    this.registry.stop();
    await this.db?.close();
  }
}
