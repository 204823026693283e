// The logbook (issue 18 item 5, docs/dashboard.md#logbook): what happened in the house, in words, newest first.
// Built by the hub: the recorder turns bus events into entries, the writer batches them into rumah.db, retention
// keeps the table bounded, and each written batch is handed to the live feed (socket.io `logbook`).

import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import type { Database } from '../store/database.js';
import { adminLogbookKinds, type LogbookCause, type LogbookEntry } from '../realtime/protocol.js';
import { LogbookRecorder } from './recorder.js';
import { LogbookRepo, type Bounds } from './repo.js';
import { SourceRate } from './source-rate.js';
import type { Metric } from '../http/routes/ops.js';
import { LogbookWriter, type StoredEntry } from './writer.js';
import { areaKey } from '../core/prettify.js';

export interface LogbookSettings {
  maxEntries: number;
  days: number;
  maxPerSource: number;
  sourceRatePerMinute: number;
  sourceBurst: number;
}

export interface LogbookDeps {
  db: Database;
  bus: EventBus;
  log: Logger;
  settings: LogbookSettings;
  device: (id: string) => Device | undefined;
  devices: () => readonly Device[];
  ruleName: (id: string) => string | undefined;
  now?: () => number;
  /** Each written batch, oldest first, for the dashboards: what everyone may see, and what only admins may. */
  live?: (everyone: LogbookEntry[], adminsOnly: LogbookEntry[]) => void;
  /** Retention runs this often (and once at start). Default one minute. */
  pruneMs?: number;
  writeIntervalMs?: number;
}

export interface LogbookFilter {
  before?: number;
  limit: number;
  /** A floor ("Ground floor"), a room ("Kitchen"), or both ("Ground floor/Kitchen"), as devices have them today. */
  area?: string;
  device?: string;
  cause?: LogbookCause;
  /** A member's query: the kinds only admins see are left out. */
  admin: boolean;
}

export class Logbook {
  readonly repo: LogbookRepo;
  readonly writer: LogbookWriter;
  private readonly recorder: LogbookRecorder;
  private readonly rate: SourceRate;
  private readonly bounds: Bounds;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<void>;

  constructor(private readonly deps: LogbookDeps) {
    const { settings } = deps;
    this.now = deps.now ?? Date.now;
    this.bounds = { maxEntries: settings.maxEntries, maxAgeMs: settings.days * 24 * 3_600_000, maxPerSource: settings.maxPerSource };
    this.repo = new LogbookRepo(deps.db);
    this.writer = new LogbookWriter(deps.db, deps.log, {
      ...(deps.writeIntervalMs !== undefined ? { intervalMs: deps.writeIntervalMs } : {}),
      onWritten: (written) => {
        const entries = written.map(publicEntry);
        deps.live?.(entries.filter((e) => !adminLogbookKinds.includes(e.kind)), entries.filter((e) => adminLogbookKinds.includes(e.kind)));
      },
    });
    this.recorder = new LogbookRecorder({
      bus: deps.bus, device: deps.device, ruleName: deps.ruleName, now: this.now,
      rate: (this.rate = new SourceRate({ perMinute: settings.sourceRatePerMinute, burst: settings.sourceBurst })),
      add: (draft) => this.writer.add(draft),
    });
  }

  async start(): Promise<void> {
    await this.writer.start();
    this.recorder.start();
    this.prune();
    this.timer = setInterval(() => this.prune(), this.deps.pruneMs ?? 60_000).unref();
  }

  /** Idempotent: stops listening, writes what is queued. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.recorder.stop();
    await this.pruning;
    await this.writer.stop();
  }

  /** Runs retention now (tests; the timer). */
  prune(): Promise<void> {
    this.pruning ??= this.repo
      .prune(this.bounds, this.now())
      .then((deleted) => void (deleted > 0 && this.deps.log.debug({ deleted }, 'logbook retention')))
      .catch((err: unknown) => this.deps.log.warn({ err }, 'logbook retention failed'))
      .finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  metrics(): Metric[] {
    const w = this.writer;
    return [
      { name: 'rumah_logbook_written_total', help: 'Logbook entries written', type: 'counter', value: w.written },
      { name: 'rumah_logbook_rate_refused_total', help: 'Logbook entries not made: their source was over logbook.sourceRatePerMinute / sourceBurst', type: 'counter', value: this.rate.refusedTotal },
      { name: 'rumah_logbook_dropped_total', help: 'Logbook entries dropped because the writer\'s queue was full', type: 'counter', value: w.dropped },
      { name: 'rumah_logbook_queue_depth', help: 'Logbook entries waiting to be written', type: 'gauge', value: w.depth },
    ];
  }

  /** A page, newest first. An area or device filter names the devices it means today (a device moved takes its past with it). */
  async query(f: LogbookFilter): Promise<{ entries: LogbookEntry[]; more: boolean }> {
    let devices: string[] | undefined;
    if (f.device !== undefined) devices = [f.device];
    if (f.area !== undefined) {
      const inArea = this.deps.devices().filter((d) => inAreaNamed(d, f.area!)).map((d) => d.id);
      devices = devices ? devices.filter((id) => inArea.includes(id)) : inArea;
    }
    if (devices?.length === 0) return { entries: [], more: false };
    return this.repo.page({
      limit: f.limit, ...(f.before !== undefined ? { before: f.before } : {}), ...(devices ? { devices } : {}), ...(f.cause ? { cause: f.cause } : {}),
      ...(f.admin ? {} : { excludeKinds: adminLogbookKinds }),
    });
  }
}

/** Names compared as the hub's areas are (server/core/prettify.ts areaKey): `firstfloor` finds "First floor". */
function inAreaNamed(d: Device, area: string): boolean {
  const same = (name: string | undefined, wanted: string): boolean => name !== undefined && areaKey(name) === areaKey(wanted);
  if (same(d.floor, area) || same(d.room, area)) return true;
  const slash = area.lastIndexOf('/');
  return slash > 0 && same(d.floor, area.slice(0, slash)) && same(d.room, area.slice(slash + 1));
}

function publicEntry({ source: _source, ...entry }: StoredEntry): LogbookEntry {
  return entry;
}

