import type http from 'node:http';
import type net from 'node:net';
import { perAddressLimit } from '../core/address-limit.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';

/**
 * Bounds what the web port can hold before anyone logs in. Found by trying: with Node's defaults two clients that
 * opened connections and sent half a request head held them 60 s each and took all 20,000 file descriptors — MQTT
 * devices were refused and /healthz timed out. Now: connections per address and in all (the rest of the descriptors
 * stay with MQTT), and a short time for a request head. Node checks its request timeouts on an interval
 * (`connectionsCheckingInterval`, 30 s by default), so the servers are made with a 1 s one (hub.ts, web-server.ts).
 */
export function limitWebConnections(server: http.Server, limits: Config['http'], log: Logger): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headTimeout;
  // The whole request (head and body) gets a bit longer than its head; bodies are at most 256 KiB.
  server.requestTimeout = limits.headTimeout * 3;
  const admit = perAddressLimit(limits.connectionsPerAddress, log, 'web');
  // First, before the server (or the TLS sniffer) takes the socket: a refused one is destroyed at once.
  server.prependListener('connection', (socket: net.Socket) => void admit(socket));
  server.on('drop', (data?: { remoteAddress?: string }) => log.warn({ address: data?.remoteAddress, limit: limits.maxConnections }, 'web port at http.maxConnections; connection refused'));
}

/** How often Node checks request timeouts; its 30 s default would let a 10 s head timeout run for 40 s. */
export const connectionsCheckingInterval = 1000;
