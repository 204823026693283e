import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Broker } from '../mqtt/broker.js';
import type { MqttAcl, MqttAuthenticator } from '../mqtt/identity.js';
import type { Account } from '../store/accounts-repo.js';
import type { Database } from '../store/database.js';
import { listenError } from '../listen-error.js';
import { BindingsRepo } from './bindings-repo.js';
import { GatewayLogins } from './gateway-logins.js';
import { MqttSnGateway } from './gateway.js';

/** The broker's authenticator, wrapped so the gateway's logins are known (gateway-logins.ts); unchanged when the gateway is off. */
export function mqttSnLogins(config: Config, next: MqttAuthenticator, accounts: { get(username: string): Promise<Account | undefined> }): GatewayLogins | undefined {
  return config.mqttsn.enabled ? new GatewayLogins(next, accounts) : undefined;
}

/** Starts the gateway (hub.ts wires it with these two functions). */
export async function startMqttSn(opts: { config: Config; log: Logger; broker: Broker; acl?: MqttAcl; logins: GatewayLogins; db: Database }): Promise<{ gateway: MqttSnGateway; port: number }> {
  const { config } = opts;
  const gateway = new MqttSnGateway({
    config: config.mqttsn, bind: config.bind, log: opts.log, broker: opts.broker, acl: opts.acl, logins: opts.logins,
    bindings: new BindingsRepo(opts.db), keepaliveLimit: config.mqtt.keepaliveLimit,
  });
  const { port } = await gateway.start().catch((err: NodeJS.ErrnoException) => {
    throw listenError('MQTT-SN (UDP)', config.bind, config.mqttsn.port, 'mqttsn.port', err);
  });
  return { gateway, port };
}
