import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { WebSocket as NodeWebSocket } from 'ws';
import type { Ack, ClientToServer, Deltas, NotificationBatch, ServerToClient, Snapshot } from '../../../server/realtime/protocol.js';

/** The part of the socket.io client the tests use, typed with the shared protocol. */
export interface LiveClient {
  connected: boolean;
  on<E extends keyof ServerToClient>(event: E, fn: ServerToClient[E]): void;
  on(event: 'connect' | 'disconnect', fn: (reason?: string) => void): void;
  on(event: 'connect_error', fn: (err: Error & { data?: { code: string } }) => void): void;
  emitWithAck(event: keyof ClientToServer, request: Parameters<ClientToServer['command']>[0]): Promise<Ack>;
  close(): void;
}

type Transport = new (...args: never[]) => { opts: { extraHeaders?: Record<string, string> } };
interface ClientModule {
  io(url: string, opts: Record<string, unknown>): LiveClient;
  WebSocket: Transport;
}

let loaded: Promise<{ io: ClientModule['io']; transport: Transport }> | undefined;

/**
 * The very socket.io client the dashboard bundles (socket.io ships it in client-dist). That file is ESM inside a
 * CommonJS package, which Node refuses to import from its path, so it is imported from a data: URL. Its WebSocket
 * transport is given the `ws` package, which (unlike a browser) may send the session cookie as a header. Not the
 * polling transport: a polling socket closed by the server leaves engine.io waiting 30 s for a last GET.
 */
function clientModule(): Promise<{ io: ClientModule['io']; transport: Transport }> {
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('socket.io/package.json')), 'client-dist/socket.io.esm.min.js');
  loaded ??= (import(`data:text/javascript;base64,${fs.readFileSync(file).toString('base64')}`) as Promise<ClientModule>).then((m) => {
    class NodeTransport extends m.WebSocket {
      createSocket(uri: string, protocols: string[] | undefined): NodeWebSocket {
        return new NodeWebSocket(uri, protocols, { headers: this.opts.extraHeaders });
      }
    }
    return { io: m.io, transport: NodeTransport };
  });
  return loaded;
}

export interface Connected {
  socket: LiveClient;
  snapshot: Snapshot;
  /** Every deltas batch received so far, in order. */
  batches: Deltas[];
  /** Every notifications batch received so far, in order (the first may come right behind the snapshot). */
  notifications: NotificationBatch[];
}

/** Opens a live connection with `headers` (cookie or Authorization); resolves with the snapshot. */
export async function liveConnect(httpUrl: string, headers: Record<string, string>, auth?: Record<string, string>): Promise<Connected> {
  const { io, transport } = await clientModule();
  const socket = io(httpUrl, { transports: [transport], extraHeaders: headers, auth, reconnection: false, forceNew: true });
  const batches: Deltas[] = [];
  socket.on('deltas', (d) => void batches.push(d));
  const notifications: NotificationBatch[] = [];
  socket.on('notifications', (n) => void notifications.push(n));
  const snapshot = await new Promise<Snapshot>((resolve, reject) => {
    socket.on('snapshot', resolve);
    socket.on('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return { socket, snapshot, batches, notifications };
}

/** The connect_error of a connection that must be refused. */
export async function liveRefusal(httpUrl: string, headers: Record<string, string>): Promise<Error & { data?: { code: string } }> {
  try {
    const { socket } = await liveConnect(httpUrl, headers);
    socket.close();
  } catch (err) {
    return err as Error & { data?: { code: string } };
  }
  throw new Error('the connection was accepted');
}

/** Logs in over REST and returns the session cookie (`rumah_session=…`). */
export async function sessionCookie(httpUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
