import type { Webhooks } from '../../rules/engine/webhooks.js';
import { webhookRoutes } from './routes/webhooks.js';
import express, { type Express } from 'express';
import type { Logger } from '../core/logger.js';
import type { AuthApi } from '../api/auth.js';
import type { DeviceAdminApi } from '../api/device-admin.js';
import type { DevicesApi } from '../api/devices.js';
import type { UsersApi } from '../api/users.js';
import { requireAuth } from './auth-middleware.js';
import { errorHandler } from './errors.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/devices.js';
import { opsRoutes, type OpsSource } from './routes/ops.js';
import { userRoutes } from './routes/users.js';
import { accountRoutes, pairingRoutes } from './routes/pairing.js';
import type { PairingApi } from '../api/pairing.js';
import { webRoutes } from './routes/web.js';
import { brokerRoutes } from './routes/broker.js';
import { ruleValidateRoutes } from './routes/rule-validate.js';
import type { BrokerApi } from '../api/broker.js';
import { ruleRoutes } from './routes/rules.js';
import type { RulesApi } from '../api/rules.js';
import { caRoutes } from '../tls/routes.js';
import { tokenRoutes, type TokensSource } from './routes/tokens.js';
import type { HostCheck } from './host-check.js';
import { backupRoutes, setupRestoreRoutes } from './routes/backups.js';
import type { BackupService } from '../backup/service.js';
import { exportSettingsRoutes, type ExportSettingsSource } from '../export/routes.js';
import { mqttsnRoutes } from './routes/mqttsn.js';
import { logbookRoutes } from '../logbook/routes.js';
import type { Logbook } from '../logbook/logbook.js';
import { areaRoutes, deviceBulkRoutes } from './routes/areas.js';
import type { AreasApi } from '../api/areas.js';
import type { DeviceBulkApi } from '../api/device-bulk.js';
import type { MqttSnBindingsApi } from '../mqttsn/bindings-api.js';

export interface HttpDeps {
  log: Logger;
  auth: AuthApi;
  devices: DevicesApi;
  deviceAdmin: DeviceAdminApi;
  users: UsersApi;
  pairing: PairingApi;
  ops: OpsSource;
  secureCookies: boolean;
  /** The built dashboard (dist/web): index.html and assets/. */
  webRoot: string;
  /** A session ended by logout: its live sockets close. */
  sessionEnded?: (token: string) => void;
  /** The dashboard's broker page: clients, messages/s, topics (admins). */
  broker?: BrokerApi;
  tokens?: TokensSource;
  /** The names the hub answers to; a request naming another gets 421 (DNS rebinding). */
  hostCheck?: HostCheck;
  /** Automation rules (docs/rules-api.md): members read, admins change. */
  rules?: RulesApi;
  /** The hub's local CA (PEM) when TLS made one: GET /ca.crt, public, so devices and browsers can trust the hub. */
  caCertificate?: () => string | undefined;
  /** Switches of the exports (server/export): admins. */
  exportSettings?: ExportSettingsSource;
  /** The logbook (server/logbook): members read it. */
  logbook?: Logbook;
  /** Rules' webhook triggers: POST /api/webhooks/:id, public, the hook's secret is the credential. */
  webhooks?: Pick<Webhooks, 'receive'>;
  /** Backups (admins) and the first-run page's restore (docs/backup.md). */
  backups?: BackupService;
  setupRestore?: { dataDir: string; restart: () => void };
  /** MQTT-SN client bindings (docs/mqttsn.md): admins. */
  mqttsnBindings?: MqttSnBindingsApi;
  /** Floors and rooms (members read, admins change) and the Devices page's bulk actions (admins). */
  areas?: AreasApi;
  deviceBulk?: DeviceBulkApi;
}

export function createApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.hostCheck) app.use(deps.hostCheck.middleware());
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
    next();
  });
  // Before the JSON parser: a webhook's signature covers its raw body (routes/webhooks.ts).
  if (deps.webhooks) app.use('/api/webhooks', webhookRoutes(deps.webhooks));
  app.use(express.json({ limit: '256kb', strict: true }));
  app.use(opsRoutes(deps.ops, requireAuth(deps.auth, 'member', { metrics: true })));
  app.use(caRoutes(deps.caCertificate ?? (() => undefined)));
  app.use('/api/auth', authRoutes(deps.auth, deps.secureCookies, { setupRequired: () => deps.users.setupRequired(), sessionEnded: deps.sessionEnded }));
  if (deps.deviceBulk) app.use('/api/devices/bulk', requireAuth(deps.auth, 'admin'), deviceBulkRoutes(deps.deviceBulk));
  app.use('/api/devices', requireAuth(deps.auth), deviceRoutes(deps.devices, deps.deviceAdmin));
  if (deps.areas) app.use('/api/areas', requireAuth(deps.auth), areaRoutes(deps.areas));
  app.use('/api/users', requireAuth(deps.auth, 'admin'), userRoutes(deps.users));
  app.use('/api/pairing', requireAuth(deps.auth, 'admin'), pairingRoutes(deps.pairing));
  app.use('/api/accounts', requireAuth(deps.auth, 'admin'), accountRoutes(deps.pairing));
  if (deps.broker) app.use('/api/broker', requireAuth(deps.auth, 'admin'), brokerRoutes(deps.broker));
  if (deps.tokens) app.use('/api/tokens', requireAuth(deps.auth, 'admin'), tokenRoutes(deps.tokens));
  if (deps.backups) app.use('/api/backups', requireAuth(deps.auth, 'admin'), backupRoutes(deps.backups));
  if (deps.setupRestore) app.use('/api/setup', setupRestoreRoutes({ auth: deps.auth, ...deps.setupRestore }));
  app.use('/api/rules/validate', requireAuth(deps.auth), ruleValidateRoutes());
  if (deps.exportSettings) app.use('/api/settings', requireAuth(deps.auth, 'admin'), exportSettingsRoutes(deps.exportSettings));
  if (deps.rules) app.use('/api/rules', requireAuth(deps.auth), ruleRoutes(deps.rules));
  if (deps.mqttsnBindings) app.use('/api/mqttsn', requireAuth(deps.auth, 'admin'), mqttsnRoutes(deps.mqttsnBindings));
  if (deps.logbook) app.use('/api/logbook', requireAuth(deps.auth), logbookRoutes(deps.logbook));
  app.use('/api', (_req, res) => void res.status(404).json({ error: { code: 'RUMAH_ERR_NOT_FOUND', message: 'no such API route' } }));
  app.use(webRoutes(deps.webRoot));
  app.use(errorHandler(deps.log));
  return app;
}
