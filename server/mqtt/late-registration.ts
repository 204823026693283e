import type { Aedes, Client } from 'aedes';
import { aedesInternals, clientInternals } from './aedes-internals.js';

/**
 * A client that left during its own CONNECT is not left registered.
 *
 * aedes 2.0.0-beta.1 registers a client at the end of its CONNECT sequence (connect.js: login, session lookup, the
 * will stored, each asynchronous; then registerClient, itself asynchronous after a takeover) without asking whether
 * the connection is still open. When the peer went away in between, the client's close ran first, found no
 * registration to undo, and the sequence then registered it: it stayed in aedes's client map, counted as connected,
 * its session never ended, for the life of the process. Found by the MQTT 5 fuzz (test/flows/fuzz-mqtt5.test.ts:
 * one run in a few left a client `closed` but listed; the connections that wait for their CONNACK and then go make
 * the window common). A client found closed once registered is unregistered at once and its session handled as
 * aedes's close would have (session expiry: kept, expired later, or wiped).
 */
export function unregisterClosedOnArrival(aedes: Aedes): void {
  const a = aedesInternals(aedes);
  const finish = a._finishRegisterClient.bind(aedes);
  a._finishRegisterClient = (client: Client) => {
    finish(client);
    const c = clientInternals(client);
    if (c.closed && a.clients[c.id] === client) {
      a.unregisterClient(client);
      a.scheduleSessionExpiry(client);
    }
  };
}
