import { Worker } from 'node:worker_threads';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { Device } from '../core/model.js';
import type { Database } from '../store/database.js';
import type { SettingsRepo } from '../store/settings-repo.js';
import type { FromWorker, ToWorker } from './influx-messages.js';
import type { DeviceTags, InfluxCounters, InfluxExportOptions } from './influx-pump.js';

export type { InfluxExportOptions } from './influx-pump.js';

export interface InfluxExportDeps {
  db: Database;
  settings: SettingsRepo;
  devices: () => readonly Device[];
  bus: EventBus;
  log: Logger;
  options: InfluxExportOptions;
}

/** Where the export has got to in the history table; kept in `settings` (no migration needed). */
export const cursorKey = 'export.influx.cursor';

/** A thread that ended without being asked is started again after this long (from where the cursor is). */
const restartMs = 5000;

/**
 * History out to an InfluxDB-line-protocol endpoint (docs/exports.md). The reading, formatting and sending run on a
 * worker thread (influx-worker.ts, influx-pump.ts), off the event loop the broker shares; this side keeps the cursor
 * in `settings`, tells the thread the devices' tags as they change, and holds the counters for /metrics.
 */
export class InfluxExport {
  readonly counters: InfluxCounters = { written: 0, rejected: 0, failures: 0, lastSuccess: 0, lastError: '' };
  private lastBacklog = 0;
  private cursor = 0;
  private worker?: Worker;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  /** Settings writes of the cursor, one after another (the last one wins). */
  private saving: Promise<void> = Promise.resolve();
  /** The tags last sent per device, as the thread holds them. */
  private readonly sentTags = new Map<string, DeviceTags>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly deps: InfluxExportDeps) {}

  async start(): Promise<void> {
    const { db, settings, log, bus } = this.deps;
    const max = (await db.get<{ id: number | null }>('SELECT max(rowid) AS id FROM history'))?.id ?? 0;
    const saved = await settings.get<number>(cursorKey);
    if (typeof saved !== 'number') {
      // First start of the export: history from before it was switched on is not sent (docs/exports.md).
      this.cursor = max;
      await settings.set(cursorKey, this.cursor);
    } else if (saved > max) {
      // The history table is not the one the cursor was taken in (restored from a backup, emptied): rowids start
      // again below it, and rows past the cursor would never be sent.
      log.warn({ cursor: saved, maxRowid: max }, 'history export cursor is past the end of the history table (restored or emptied?); continuing from its end');
      this.cursor = max;
      await settings.set(cursorKey, this.cursor);
    } else {
      this.cursor = saved;
    }
    this.lastBacklog = Math.max(0, max - this.cursor);
    const owner = 'influx-export';
    this.unsubscribe.push(
      bus.on('deviceAdded', owner, ({ device }) => this.sendTags([device])),
      bus.on('deviceUpdated', owner, ({ device }) => this.sendTags([device])),
      bus.on('deviceRemoved', owner, ({ deviceId }) => {
        if (this.sentTags.delete(deviceId)) this.post({ type: 'tags', tags: [[deviceId, null]] });
      }),
    );
    await this.spawn();
  }

  /** History rows not yet accepted by the endpoint, as of the thread's last look (for /metrics). */
  get backlog(): number {
    return this.lastBacklog;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    const worker = this.worker;
    if (worker) {
      const ended = new Promise<void>((resolve) => {
        worker.on('message', (msg: FromWorker) => msg.type === 'stopped' && resolve());
        worker.once('exit', () => resolve());
      });
      this.post({ type: 'stop' });
      // A request in flight ends at its timeout; the thread is not waited for longer than that.
      const timer = setTimeout(() => void worker.terminate(), this.deps.options.timeoutMs + 1000);
      await ended;
      clearTimeout(timer);
      await worker.terminate();
    }
    await this.saving;
  }

  private async spawn(): Promise<void> {
    const { db, options, log } = this.deps;
    const worker = new Worker(new URL('./influx-worker.js', import.meta.url), { workerData: { dbFile: db.file, options, cursor: this.cursor } });
    this.worker = worker;
    this.sentTags.clear();
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') resolve();
        else this.onMessage(msg);
      });
      worker.once('error', reject);
    });
    worker.on('error', (err) => log.error({ err }, 'history export thread failed'));
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.stopping) return;
      log.error({ exitCode: code, retryMs: restartMs }, 'history export thread ended; starting it again from the saved cursor');
      this.restartTimer = setTimeout(() => void this.spawn().catch((err: Error) => log.error({ err }, 'history export thread could not start')), restartMs);
    });
    await ready;
    this.sendTags(this.deps.devices());
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'state':
        Object.assign(this.counters, msg.counters);
        this.lastBacklog = msg.backlog;
        break;
      case 'cursor':
        this.cursor = msg.rowid;
        this.saving = this.saving
          .then(() => this.deps.settings.set(cursorKey, msg.rowid))
          .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'history export: saving the cursor failed (the next start sends some points again)'));
        break;
      case 'log':
        this.deps.log[msg.level](msg.obj, msg.msg);
        break;
    }
  }

  /** Tells the thread the tags of `devices` whose name, floor, room or units changed since it was last told. */
  private sendTags(devices: readonly Device[]): void {
    const changed: Array<[string, DeviceTags]> = [];
    for (const d of devices) {
      const units: Record<string, string | undefined> = {};
      for (const c of d.capabilities) if (c.unit !== undefined) units[c.property] = c.unit;
      const tags: DeviceTags = { name: d.name, floor: d.floor, room: d.room, units };
      const before = this.sentTags.get(d.id);
      if (before && sameTags(before, tags)) continue;
      this.sentTags.set(d.id, tags);
      changed.push([d.id, tags]);
    }
    if (changed.length > 0) this.post({ type: 'tags', tags: changed });
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }
}

function sameTags(a: DeviceTags, b: DeviceTags): boolean {
  if (a.name !== b.name || a.floor !== b.floor || a.room !== b.room) return false;
  const ka = Object.keys(a.units);
  return ka.length === Object.keys(b.units).length && ka.every((k) => a.units[k] === b.units[k]);
}
