import path from 'node:path';
import type { Hub, HubOptions } from './hub.js';
import { Bridges } from './bridge/service.js';
import { BridgesAdmin } from './bridge/admin.js';
import { RulesEngine } from '../rules/engine/engine.js';
import { Logbook } from './logbook/logbook.js';
import { BackupService } from './backup/service.js';
import { BrokerApi } from './api/broker.js';
import { UsersApi } from './api/users.js';
import { Exports } from './export/exports.js';

// The parts Hub.start builds after the MQTT listeners are open (server/hub.ts, "Start order", says why), in one module
// so that they load as one import once a device can already log in: the outbound bridges (MQTT.js), the rules engine
// (with its schema, expressions and schedules), the logbook, the scheduled backups, the broker page, the users and
// the exports. Until the hub releases the broker's start gate (server/mqtt/start-gate.ts) no client publish reaches
// them, and the broker's events wait for them in order.

/** Builds and starts them in order on `hub`; `stop` is given each one's stop, run in reverse by Hub.stop. */
export async function startParts(hub: Hub, opts: HubOptions, stop: (fn: () => Promise<void> | void) => void): Promise<BrokerApi> {
  const { config, log } = opts;
  // Outbound bridges: a remote message enters through the hub's own publish (docs/bridges.md says why).
  hub.bridges = new Bridges({ bridges: config.bridges ?? [], dataDir: config.dataDir, db: hub.store.db, bus: hub.bus, log: log.child({ module: 'bridge' }), maxPacketSize: config.mqtt.maxPacketSize, publish: (msg) => hub.broker.publish(msg) });
  await hub.bridges.start();
  stop(() => hub.bridges?.stop());
  hub.bridgesAdmin = new BridgesAdmin({ bridges: hub.bridges, settings: hub.store.settings, yamlNames: new Set((config.bridges ?? []).map((b) => b.name)), log: log.child({ module: 'bridge' }) });
  await hub.bridgesAdmin.load();

  hub.rules = new RulesEngine({
    dir: path.join(config.dataDir, 'rules'), bus: hub.bus, registry: hub.registry, states: hub.states, broker: hub.broker,
    commander: hub.devices, tracker: hub.ruleCauses, db: hub.store.db, log: log.child({ module: 'rules' }), clock: opts.clock,
    timezone: config.location?.timezone, ...opts.rules,
    ...(config.location?.latitude !== undefined && config.location.longitude !== undefined ? { location: { latitude: config.location.latitude, longitude: config.location.longitude } } : {}),
  });
  await hub.rules.start();
  stop(() => hub.rules.stop());

  hub.logbook = new Logbook({
    db: hub.store.db, bus: hub.bus, log: log.child({ module: 'logbook' }), settings: config.logbook, now: opts.now ?? Date.now,
    device: (id) => hub.registry.get(id), devices: () => hub.registry.list(), ruleName: (id) => hub.rules.rules.name(id),
    // No browser can be connected before the web stack is up (after the MQTT listeners): nothing to send until then.
    live: (everyone, adminsOnly) => hub.realtime?.sendLogbook({ entries: everyone }, { entries: adminsOnly }),
  });
  await hub.logbook.start();
  stop(() => hub.logbook?.stop());
  hub.backups = new BackupService({ dataDir: config.dataDir, settings: config.backup, timezone: config.location?.timezone, log: log.child({ module: 'backup' }) });
  hub.backups.start();
  stop(() => hub.backups.stop());
  const brokerPage = new BrokerApi({ bus: hub.bus, counters: () => hub.broker.counters, protocolOf: (clientId) => hub.mqttsn?.protocolOf(clientId), outboundBridges: () => hub.bridges?.view() ?? [], bridgesAdmin: () => hub.bridgesAdmin });
  brokerPage.start();
  stop(() => brokerPage.stop());
  hub.users = new UsersApi({ store: hub.store, auth: hub.auth, sessionsEnded: (username) => hub.realtime?.endUser(username) });
  hub.exports = new Exports({ config: config.exports, bus: hub.bus, registry: hub.registry, states: hub.states, devices: () => hub.devices, broker: () => hub.broker, store: () => hub.store, log: log.child({ module: 'export' }) });
  return brokerPage;
}
