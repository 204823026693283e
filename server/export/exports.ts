import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../core/event-bus.js';
import type { Registry } from '../core/registry.js';
import type { StateStore } from '../core/state-store.js';
import type { DevicesApi } from '../api/devices.js';
import type { Broker } from '../mqtt/broker.js';
import type { Store } from '../store/index.js';
import type { Metric } from '../http/routes/ops.js';
import { aedesInternals } from '../mqtt/aedes-internals.js';
import { installedVersion } from '../install-dir.js';
import { HaDiscoveryExport } from './ha-discovery.js';
import { InfluxExport } from './influx-export.js';
import { deviceMetrics } from './device-metrics.js';
import type { ExportSettingsSource } from './routes.js';

export interface ExportsDeps {
  config: Config['exports'];
  bus: EventBus;
  registry: Registry;
  states: StateStore;
  devices: () => DevicesApi;
  broker: () => Broker;
  store: () => Store;
  log: Logger;
}

/** The run-time HA switch, kept in `settings`; it wins over the config once set. */
const haSettingKey = 'export.homeassistant.enabled';

const version = installedVersion;

/** The exports (docs/exports.md): built by the hub, started after the broker, stopped before it. */
export class Exports implements ExportSettingsSource {
  ha?: HaDiscoveryExport;
  influx?: InfluxExport;

  constructor(private readonly deps: ExportsDeps) {}

  async start(): Promise<void> {
    const { config, log } = this.deps;
    const store = this.deps.store();
    const broker = this.deps.broker();
    this.ha = new HaDiscoveryExport({
      bus: this.deps.bus, registry: this.deps.registry, states: this.deps.states, devices: this.deps.devices(),
      publish: (msg) => broker.publish(msg),
      retained: (filter) => aedesInternals(broker.aedes).persistence.createRetainedStream(filter),
      account: (username) => store.accounts.get(username),
      log: log.child({ export: 'homeassistant' }), origin: { name: 'rumah', sw: version() }, skipConventions: config.homeassistant.skipConventions,
    });
    // Started even when off: it clears what an earlier run announced, and the run-time switch can turn it on.
    await this.ha.start((await store.settings.get<boolean>(haSettingKey)) ?? config.homeassistant.enabled);
    if (config.influx.enabled && config.influx.url) {
      this.influx = new InfluxExport({
        db: store.db, settings: store.settings, devices: () => this.deps.registry.list(), bus: this.deps.bus, log: log.child({ export: 'influx' }),
        options: { ...config.influx, url: config.influx.url },
      });
      await this.influx.start();
    }
  }

  async stop(): Promise<void> {
    await this.influx?.stop();
    await this.ha?.stop();
  }

  haDiscovery(): { enabled: boolean } {
    return { enabled: this.ha?.enabled ?? false };
  }

  async setHaDiscovery(enabled: boolean): Promise<{ enabled: boolean }> {
    await this.deps.store().settings.set(haSettingKey, enabled);
    await this.ha?.setEnabled(enabled);
    return this.haDiscovery();
  }

  metrics(): Metric[] {
    const out: Metric[] = [];
    const influx = this.influx?.counters;
    if (influx) {
      out.push(
        { name: 'rumah_export_influx_points_total', help: 'Points the line-protocol endpoint accepted', type: 'counter', value: influx.written },
        { name: 'rumah_export_influx_rejected_total', help: 'Points in batches the endpoint refused as bad (400/422) and that were passed over', type: 'counter', value: influx.rejected },
        { name: 'rumah_export_influx_failures_total', help: 'Write attempts that failed and will be retried', type: 'counter', value: influx.failures },
        { name: 'rumah_export_influx_backlog_rows', help: 'History rows not yet accepted by the endpoint (they wait in history, up to history.rawDays)', type: 'gauge', value: this.influx!.backlog },
        { name: 'rumah_export_influx_last_success_timestamp_seconds', help: 'When the endpoint last accepted a batch', type: 'gauge', value: influx.lastSuccess / 1000 },
      );
    }
    const ha = this.ha?.counters;
    if (ha && this.ha?.enabled) {
      out.push(
        { name: 'rumah_export_ha_announced_total', help: 'Home Assistant discovery configs published', type: 'counter', value: ha.announced },
        { name: 'rumah_export_ha_commands_total', help: 'Commands from Home Assistant carried out', type: 'counter', value: ha.commands },
        { name: 'rumah_export_ha_commands_refused_total', help: 'Commands from Home Assistant refused (account, capability, rate)', type: 'counter', value: ha.commandsRefused },
      );
    }
    if (this.deps.config.prometheus.deviceStates) out.push(...deviceMetrics(this.deps.registry, this.deps.states));
    return out;
  }
}
