import type net from 'node:net';
import type http from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../core/logger.js';
import { perAddressLimit } from '../core/address-limit.js';
import type { Broker } from './broker.js';

// Apart from listeners.ts so that ws is loaded with the web server, after the MQTT listeners are up (server/web-stack.ts).

export interface WebSocketOptions {
  /** mqtt.maxPacketSize: no frame may be larger than one packet of the largest size (and some room for a second). */
  maxPacketSize: number;
  connectionsPerAddress: number;
  /** DNS rebinding: the Host must be one of the hub's names, and a browser's Origin this very host. */
  hostCheck?: { allows(host: string | undefined): boolean; sameOrigin(req: http.IncomingMessage): boolean };
}

/**
 * MQTT over WebSocket at `/mqtt` on the web server (subprotocol `mqtt`, as MQTT.js and browsers use). A frame is
 * buffered whole before MQTT sees a byte of it, so ws's own limit is what bounds memory before login: it was 64 MiB
 * (20 connections held 1.27 GiB); now a frame over one MQTT packet closes the socket (1009). Upgrades from one
 * address are counted like MQTT connections.
 */
export function attachWebSocket(httpServer: http.Server, broker: Broker, log: Logger, opts: WebSocketOptions, path = '/mqtt'): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPacketSize + 65_536 });
  const admit = perAddressLimit(opts.connectionsPerAddress, log, 'MQTT over WebSocket');
  httpServer.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '';
    if (url !== path && !url.startsWith(`${path}?`)) return; // socket.io and others handle their own upgrades
    if (opts.hostCheck && !(opts.hostCheck.allows(req.headers.host) && opts.hostCheck.sameOrigin(req))) {
      // A page elsewhere (or a rebound name) must not reach MQTT with the user's browser: refused before the upgrade.
      log.info({ host: req.headers.host, origin: req.headers.origin }, 'MQTT over WebSocket from another site refused');
      return void socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
    if (!admit(socket as net.Socket)) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', (err) => log.debug({ err: err.message }, 'websocket stream error'));
      broker.handle(stream, req);
    });
  });
  return wss;
}
