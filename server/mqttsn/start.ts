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
import { MqttSnCandidates } from './join-candidates.js';
import type { PairingApi } from '../api/pairing.js';
import type { EventBus } from '../core/event-bus.js';
import type { AccountsRepo } from '../store/accounts-repo.js';

/** The broker's authenticator, wrapped so the gateway's logins are known (gateway-logins.ts); unchanged when the gateway is off. */
export function mqttSnLogins(config: Config, next: MqttAuthenticator, accounts: { get(username: string): Promise<Account | undefined> }): GatewayLogins | undefined {
  return config.mqttsn.enabled ? new GatewayLogins(next, accounts) : undefined;
}

/** Starts the gateway (hub.ts wires it with these two functions). */
export async function startMqttSn(opts: { config: Config; log: Logger; broker: Broker; acl?: MqttAcl; logins: GatewayLogins; db: Database; pairing?: PairingApi; accounts?: AccountsRepo; bus?: EventBus }): Promise<{ gateway: MqttSnGateway; port: number }> {
  const { config, pairing, accounts } = opts;
  const bindings = new BindingsRepo(opts.db);
  // Unbound clients become pairing candidates while the join window is open (join-candidates.ts).
  const candidates = pairing && accounts && new MqttSnCandidates({
    window: pairing.window, accounts, bindings, taken: (name) => pairing.candidates.has(name), log: opts.log,
    changed: (username) => opts.bus?.emit('candidateChanged', { username, state: 'pending' }),
  });
  if (candidates) pairing.attachCandidates(candidates);
  const gateway = new MqttSnGateway({
    config: config.mqttsn, bind: config.bind, log: opts.log, broker: opts.broker, acl: opts.acl, logins: opts.logins,
    bindings, keepaliveLimit: config.mqtt.keepaliveLimit, unbound: candidates && ((clientId, address) => candidates.seen(clientId, address)),
  });
  const { port } = await gateway.start().catch((err: NodeJS.ErrnoException) => {
    throw listenError('MQTT-SN (UDP)', config.bind, config.mqttsn.port, 'mqttsn.port', err);
  });
  return { gateway, port };
}
