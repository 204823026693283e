import type { Aedes, Client } from 'aedes';
import type { Logger } from '../core/logger.js';
import { aedesInternals, clientInternals } from './aedes-internals.js';

/**
 * Where a session begins and ends, on top of aedes 2.0.0-beta.1:
 *
 * - **Resuming with Clean Start 0 and no Session Expiry.** The beta folds "resume the old session" and "keep this one
 *   after the connection" into one flag (`client.clean = sessionExpiryInterval === 0`) and drops a resumed session's
 *   queue when it is set (connect.js emptyQueueFilter). An MQTT 5 client that comes back with Clean Start 0 and no
 *   Session Expiry resumes its session [MQTT-3.1.2-5]: its queued messages are delivered, and the session ends when
 *   this connection does (aedes's expiry scheduling reads the interval, 0, at close). The Paho interoperability tests
 *   test_offline_message_queueing and test_publication_expiry fail without this.
 * - **The inbound QoS 2 store is session state** [MQTT-3.1.2-6] (GHSA-p8r9-qf8w-p73r, fixed in aedes 1.2.0, not in
 *   the beta): it is emptied when a session starts clean and when a session ends, at the close of a session with no
 *   expiry or when its expiry passes. Without it a client that publishes QoS 2 and never returns leaves entries behind
 *   forever, and fresh client ids grow the store without bound.
 */
export function manageSessions(aedes: Aedes, log: Logger): void {
  const a = aedesInternals(aedes);
  const forgetIncoming = (client: Client, why: string): void => {
    a.persistence.cleanIncoming?.({ id: client.id }).catch((err: Error) => log.warn({ clientId: client.id, err: err.message, why }, 'could not empty the inbound QoS 2 store of a session'));
  };
  aedes.on('connackSent', (_connack: unknown, client: Client) => {
    const c = clientInternals(client);
    if (c.version === 5 && c._cleanStart === false && c.clean) c.clean = false;
  });
  aedes.on('clientReady', (client) => {
    const c = clientInternals(client);
    // After registerClient: a taken-over connection's last QoS 2 store cannot land after this wipe.
    const startsClean = c.version === 5 ? c._cleanStart === true : c.clean;
    if (startsClean) forgetIncoming(client, 'clean start');
  });
  aedes.on('clientDisconnect', (client) => {
    const c = clientInternals(client);
    if (c.version === 5 ? c.sessionExpiryInterval === 0 : c.clean) forgetIncoming(client, 'session ended with its connection');
  });
  aedes.on('sessionExpired', (client) => forgetIncoming(client, 'session expired'));
}
