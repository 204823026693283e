import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../core/logger.js';
import { connectionsCheckingInterval } from '../http/connection-limits.js';

/** The first byte of a TLS connection: a handshake record (RFC 8446 5.1, content type 22). */
const tlsHandshake = 0x16;
/** A connection must say something (a TLS hello or an HTTP request line) within this time; slow-loris. */
export const firstByteTimeoutMs = 10_000;

export interface SecureWebOptions {
  app: http.RequestListener;
  secureContext: tls.SecureContextOptions;
  /** Plain HTTP on the same port: redirected to HTTPS (true) or closed at once (false). */
  plainHttp: boolean;
  /** The CA certificate, served over plain HTTP too: a device that does not trust the hub yet can fetch it. */
  caPem: () => string | undefined;
  log: Logger;
}

/**
 * HTTPS on the web port, with plain HTTP on the same port answered by a redirect, so a person typing
 * http://hub:8080 lands on https://hub:8080 instead of a browser's "connection reset". The server is a real
 * https.Server listening on the port (socket.io, MQTT over WebSocket and Node's request timeouts work as usual);
 * only its connection handler is wrapped: the first byte tells TLS (0x16) from plain text, then the socket goes to
 * Node's TLS handling or to a small redirect-only HTTP server.
 */
export class SecureWebServer extends https.Server {
  /** Every accepted socket until it closes, whatever it turned out to speak: stop closes them all. */
  private readonly raw = new Set<net.Socket>();

  constructor(private readonly opts: SecureWebOptions) {
    super({ ...opts.secureContext, handshakeTimeout: firstByteTimeoutMs, connectionsCheckingInterval }, opts.app);
    const tlsListeners = this.listeners('connection') as Array<(socket: net.Socket) => void>;
    this.removeAllListeners('connection');
    const plain = http.createServer((req, res) => this.answerPlain(req, res));
    plain.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      socket.end(`HTTP/1.1 308 Permanent Redirect\r\nLocation: ${httpsUrl(req) ?? '/'}\r\nConnection: close\r\n\r\n`);
    });
    plain.on('clientError', answerClientError);
    // Node's own answer to a request it cannot parse is written and destroyed at once, which over TLS loses it.
    this.on('clientError', answerClientError);
    this.on('connection', (socket: net.Socket) => {
      this.raw.add(socket);
      socket.once('close', () => this.raw.delete(socket));
      this.sniff(socket, () => tlsListeners.forEach((l) => l.call(this, socket)), () => {
        if (!opts.plainHttp) return void socket.destroy();
        // A redirect is one short answer; a plain connection never needs long.
        socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
        plain.emit('connection', socket);
      });
    });
    this.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
      opts.log.debug({ err: err.code ?? err.message, address: socket.remoteAddress }, 'TLS handshake failed on the web port');
      socket.destroy(); // Node reports a handshake timeout here but leaves the socket open
    });
  }

  override closeAllConnections(): void {
    super.closeAllConnections();
    for (const socket of this.raw) socket.destroy();
  }

  /** Waits for the first bytes, puts them back, and hands the socket on; nothing arriving in time closes it. */
  private sniff(socket: net.Socket, onTls: () => void, onPlain: () => void): void {
    const swallow = (): void => {};
    socket.on('error', swallow); // a reset before we know what it is; the new owner handles errors after
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
    const onReadable = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return void socket.once('readable', onReadable);
      clearTimeout(timer);
      socket.off('error', swallow);
      socket.unshift(chunk);
      if (chunk[0] === tlsHandshake) onTls();
      else onPlain();
    };
    socket.once('readable', onReadable);
    socket.once('close', () => clearTimeout(timer));
  }

  private answerPlain(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Connection', 'close');
    const caPem = this.opts.caPem();
    // The CA is public; over plain HTTP its integrity comes from comparing the fingerprint the hub printed.
    if (caPem && req.method === 'GET' && (req.url === '/ca.crt' || req.url?.startsWith('/ca.crt?'))) {
      res.writeHead(200, { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="rumah-ca.crt"' });
      return void res.end(caPem);
    }
    const location = httpsUrl(req);
    if (!location) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      return void res.end('this port speaks HTTPS\n');
    }
    // 308 keeps the method and body (RFC 9110 15.4.9). No HSTS: a browser pinned to HTTPS for a host whose
    // certificate comes from a local CA could not be told otherwise if TLS is later turned off.
    res.writeHead(308, { Location: location, 'Content-Type': 'text/plain' });
    res.end(`this port speaks HTTPS: ${location}\n`);
  }
}

/** A request Node could not parse (bad method, length, headers): a short answer that is flushed before closing. */
function answerClientError(err: Error & { code?: string }, socket: net.Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
}

/** The same host, port and path over https; undefined for a Host header that is not a plain host[:port]. */
function httpsUrl(req: http.IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (!host || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return undefined;
  const path = req.url?.startsWith('/') ? req.url : '/';
  return `https://${host}${path}`;
}
