import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { installDir } from './install-dir.js';
import type { Hub, HubOptions } from './hub.js';
import type { BrokerApi } from './api/broker.js';
import type { NotificationFeed } from './realtime/notifications.js';
import { HostCheck } from './http/host-check.js';
import { webServer } from './http/web-listener.js';
import { attachWebSocket } from './mqtt/ws-listener.js';
import { RealtimeServer } from './realtime/server.js';
import { engineRuleSource } from './realtime/rule-events.js';
import { createApp } from './http/app.js';
import { hubMetrics, hubHealth } from './ops.js';
import { DeviceAdminApi } from './api/device-admin.js';
import { DeviceBulkApi } from './api/device-bulk.js';
import { RulesApi } from './api/rules.js';
import { MqttSnBindingsApi } from './mqttsn/bindings-api.js';
import { listenError } from './listen-error.js';

/**
 * The dashboard's half of the hub: express, socket.io, the web assets and MQTT over WebSocket on the web port.
 * Imported by Hub.start only once the MQTT listeners are up (a dynamic import), so that a device's first CONNACK does
 * not wait for the dashboard's modules to load (docs/benchmarks.md, "Memory and start-up").
 */
export interface WebStack {
  realtime: RealtimeServer;
  http: http.Server;
  port: number;
}

export async function startWebStack(hub: Hub, opts: HubOptions, { brokerPage, notifications }: { brokerPage: BrokerApi; notifications: NotificationFeed }): Promise<WebStack> {
  const { config, log } = opts;
  const hostCheck = new HostCheck([...config.tls.hostnames, ...config.http.allowedHosts], config.bind);
  const realtime = new RealtimeServer({
    auth: hub.auth, devices: hub.devices, registry: hub.registry, states: hub.states, bus: hub.bus, log: log.child({ module: 'realtime' }),
    pairing: hub.pairing, hostCheck, areas: hub.areas,
    rules: engineRuleSource(hub.rules), brokerView: () => brokerPage.view(), accounts: () => hub.pairing.accounts(), notifications,
  });
  const app = createApp({
    log: log.child({ module: 'http' }), auth: hub.auth, devices: hub.devices, secureCookies: hub.tls !== undefined, caCertificate: () => hub.tls?.info.caPem,
    ops: { health: () => hubHealth(hub), metrics: () => hubMetrics(hub) },
    deviceAdmin: new DeviceAdminApi(hub.registry, hub.areas), areas: hub.areas, deviceBulk: new DeviceBulkApi(hub.registry, hub.areas), users: hub.users, pairing: hub.pairing, hostCheck,
    tokens: {
      revoke: async (name) => {
        const revoked = await hub.store.apiTokens.remove(name);
        realtime.endUser(`token:${name}`);
        return revoked;
      },
    },
    webRoot: opts.webRoot ?? path.join(installDir, 'dist/web'),
    sessionEnded: (token) => realtime.endSession(token), rules: new RulesApi(hub.rules), broker: brokerPage, exportSettings: hub.exports!,
    webhooks: hub.rules.webhooks,
    mqttsnBindings: new MqttSnBindingsApi({ store: hub.store, enabled: config.mqttsn.enabled }),
    logbook: hub.logbook,
    backups: hub.backups, setupRestore: { dataDir: config.dataDir, restart: opts.restart ?? (() => log.warn('a backup was staged for restore: restart rumah to put it in place')) },
  });
  const server = webServer(app, hub.tls, config, log.child({ module: 'http' }));
  realtime.start(server);
  attachWebSocket(server, hub.broker, log.child({ module: 'broker' }), { maxPacketSize: config.mqtt.maxPacketSize, connectionsPerAddress: config.mqtt.connectionsPerAddress, hostCheck });
  const port = await listen(server, config.http.port, config.bind, 'HTTP');
  return { realtime, http: server, port };
}

function listen(server: http.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenError(what, host, port, '--http-port', err)));
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}
