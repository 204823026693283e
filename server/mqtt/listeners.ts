import net from 'node:net';
import type http from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../core/logger.js';
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
  const perAddress = new Map<string, number>();
  const server = net.createServer((socket) => {
    const address = socket.remoteAddress ?? '?';
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > opts.connectionsPerAddress) {
      opts.log.warn({ address, limit: opts.connectionsPerAddress }, 'too many MQTT connections from one address; refused');
      socket.destroy();
      return;
    }
    perAddress.set(address, count);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    // MQTT is small request/response packets; with Nagle's algorithm on, a QoS 0 subscriber waited 17 ms per
    // message at 20,000 msg/s on loopback (Nagle holding small writes while the peer delays its ACK).
    socket.setNoDelay(true);
    opts.broker.handle(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as net.AddressInfo).port });
    });
  });
}

/** MQTT over WebSocket at `/mqtt` on the web server (subprotocol `mqtt`, as MQTT.js and browsers use). */
export function attachWebSocket(httpServer: http.Server, broker: Broker, log: Logger, path = '/mqtt'): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  httpServer.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '';
    if (url !== path && !url.startsWith(`${path}?`)) return; // socket.io and others handle their own upgrades
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', (err) => log.debug({ err: err.message }, 'websocket stream error'));
      broker.handle(stream, req);
    });
  });
  return wss;
}
