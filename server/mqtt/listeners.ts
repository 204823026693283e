import net from 'node:net';
// Types only: node:tls (five more built-in modules) is imported by listenTls, when TLS is on (issue 19 item 6).
import type tls from 'node:tls';
import type { Logger } from '../core/logger.js';
import { perAddressLimit } from '../core/address-limit.js';
import type { Broker } from './broker.js';

export interface TcpListenerOptions {
  broker: Broker;
  log: Logger;
  host: string;
  port: number;
  connectionsPerAddress: number;
}

/** MQTT over TCP. Resolves with the bound port once listening. */
export function listenTcp(opts: TcpListenerOptions): Promise<{ server: net.Server; port: number }> {
  const admit = perAddress(opts);
  // Accepted paused: a connection that waits in line for its login (connection-line.ts) is not even read.
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    if (!admit(socket)) return;
    // MQTT is small request/response packets; with Nagle's algorithm on, a QoS 0 subscriber waited 17 ms per
    // message at 20,000 msg/s on loopback (Nagle holding small writes while the peer delays its ACK).
    socket.setNoDelay(true);
    opts.broker.handle(socket);
  });
  return listening(server, opts);
}

export interface TlsListenerOptions extends TcpListenerOptions {
  secureContext: tls.SecureContextOptions;
  /** Ask devices for a client certificate (tls.clientCertificates); one that fails the check is not refused here. */
  requestCert: boolean;
  /** Milliseconds for the TLS handshake: a slow-loris that never finishes it is closed like one that never sends CONNECT. */
  handshakeTimeout: number;
}

/**
 * MQTT over TLS (8883). The per-address limit is applied to the raw TCP connection, before the handshake's
 * public-key work. A client certificate is requested but not required: a device without one logs in with its
 * password, and one that does not verify is ignored (the broker's authenticate hook decides, and logs why).
 */
export async function listenTls(opts: TlsListenerOptions): Promise<{ server: tls.Server; port: number; destroyAll: () => void }> {
  const { createServer } = await import('node:tls');
  const admit = perAddress(opts);
  const raw = new Set<net.Socket>();
  const server = createServer({ ...opts.secureContext, requestCert: opts.requestCert, rejectUnauthorized: false, handshakeTimeout: opts.handshakeTimeout }, (socket) => {
    opts.broker.handle(socket);
  });
  server.on('connection', (socket: net.Socket) => {
    if (!admit(socket)) return;
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
    socket.setNoDelay(true);
  });
  server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
    // Untrusting clients end here (their alert: unknown CA), as do scanners and slow-loris handshakes.
    opts.log.debug({ address: socket.remoteAddress, err: err.code ?? err.message }, 'MQTT TLS handshake failed');
    socket.destroy(); // Node reports a handshake timeout here but leaves the socket open
  });
  // Stop must not wait for handshakes in progress: the broker closes MQTT clients, this closes the rest.
  const destroyAll = (): void => raw.forEach((s) => s.destroy());
  return listening(server, opts).then((r) => ({ ...r, destroyAll }));
}

function perAddress(opts: TcpListenerOptions): (socket: net.Socket) => boolean {
  return perAddressLimit(opts.connectionsPerAddress, opts.log, 'MQTT');
}

/**
 * Connections the kernel holds for accept() (Linux caps it at net.core.somaxconn, 4096 by default since 5.4). Node's
 * default, 511, overflowed when a power cut's 2,000 devices came back at once: 668 of them had their SYN dropped
 * and tried again 1 s later (nstat ListenOverflows, bench/logins.ts restart storm). A house's devices all reconnect
 * together; they should find a place in the queue.
 */
const acceptBacklog = 4096;

function listening<S extends net.Server>(server: S, opts: TcpListenerOptions): Promise<{ server: S; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: acceptBacklog }, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as net.AddressInfo).port });
    });
  });
}
