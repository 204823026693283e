// The parts Hub.start builds after the MQTT listeners are open (server/hub.ts says why), gathered in one module so that
// they load as one import once a device can already log in: the rules engine (with its schema, expressions and
// schedules), the logbook, the outbound bridges (MQTT.js), the exports, the scheduled backups and the broker page.
export { Bridges } from './bridge/service.js';
export { BridgesAdmin } from './bridge/admin.js';
export { RulesEngine } from '../rules/engine/engine.js';
export { Logbook } from './logbook/logbook.js';
export { BackupService } from './backup/service.js';
export { BrokerApi } from './api/broker.js';
export { UsersApi } from './api/users.js';
export { Exports } from './export/exports.js';
