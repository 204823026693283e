import { io, type Socket } from 'socket.io-client';
import type { Ack, AreasList, CommandRequest, ConnectErrorData, Deltas, LiveTopic, LogbookBatch, NotificationBatch, PairingView, ServerToClient, Snapshot } from '../../../server/realtime/protocol.js';
import { socketPath } from '../../../server/realtime/protocol.js';
import type { NoticeStore } from './notices.js';
import type { DeviceStore } from './store.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'closed';

export interface LiveEvents {
  status(status: LiveStatus): void;
  snapshot(snapshot: Snapshot): void;
}

/**
 * The page's one socket.io connection: it fills the store from the snapshot and the deltas, and sends commands.
 * socket.io reconnects by itself after a network loss; each new connection brings a fresh snapshot, so nothing
 * missed while away stays wrong. A refused handshake (no session) or an ended session stops it for good.
 */
export class LiveConnection {
  private readonly socket: Socket;
  status: LiveStatus = 'connecting';
  user?: Snapshot['user'];
  /** The join window as last pushed (admins only), with the browser time it arrived: the page counts down from it. */
  pairing?: { state: PairingView; at: number };
  private readonly pairingListeners = new Set<() => void>();
  /** The logbook page's listeners for new entries (pages/logbook.tsx). */
  private readonly logbookListeners = new Set<(batch: LogbookBatch, reconnected?: boolean) => void>();
  /** Live topics the mounted pages asked for, with how many ask: asked for again on every (re)connection. */
  private readonly topics = new Map<LiveTopic, { count: number; error?: (message: string) => void }>();

  constructor(store: DeviceStore, private readonly events: LiveEvents, notices?: NoticeStore) {
    this.socket = io({ path: socketPath, reconnectionDelayMax: 5000 });
    this.socket.on('snapshot', (snapshot: Snapshot) => {
      this.user = snapshot.user;
      store.loadSnapshot(snapshot);
      this.events.snapshot(snapshot);
      // Entries written while away were never sent: the logbook page asks for the newest again.
      if (this.status === 'reconnecting') for (const fn of this.logbookListeners) fn({ entries: [] }, true);
      this.setStatus('live');
    });
    this.socket.on('deltas', (deltas: Deltas) => store.applyDeltas(deltas));
    this.socket.on('areas', (list: AreasList) => store.setAreas(list.areas));
    // A new connection has no rooms: each topic is asked for again, and comes again whole.
    this.socket.on('connect', () => {
      for (const topic of this.topics.keys()) this.askFor(topic);
    });
    this.socket.on('session', () => this.stop('unauthorized'));
    this.socket.on('notifications', (batch: NotificationBatch) => notices?.add(batch));
    this.socket.on('pairing', (state: PairingView) => {
      this.pairing = { state, at: Date.now() };
      for (const fn of this.pairingListeners) fn();
    });
    this.socket.on('logbook', (batch: LogbookBatch) => {
      for (const fn of this.logbookListeners) fn(batch);
    });
    this.socket.on('connect_error', (err: Error & { data?: ConnectErrorData }) => {
      if (err.data?.code === 'RUMAH_ERR_UNAUTHORIZED') this.stop('unauthorized');
      else this.setStatus('reconnecting');
    });
    this.socket.on('disconnect', (reason: string) => {
      if (this.status === 'unauthorized' || this.status === 'closed') return;
      this.setStatus('reconnecting');
      // The server closed it (a restart, a revalidated session): socket.io does not retry that on its own.
      if (reason === 'io server disconnect') setTimeout(() => this.socket.connect(), 1000);
    });
  }

  /** Sends a command; resolves with the hub's acknowledgement (or a timeout error of our own). */
  command(request: CommandRequest): Promise<Ack> {
    return new Promise((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, error: 'RUMAH_ERR_OFFLINE', message: 'not connected to the hub; retrying' });
        return;
      }
      this.socket.timeout(10_000).emit('command', request, (err: Error | null, ack: Ack) => {
        resolve(err ? { ok: false, error: 'RUMAH_ERR_TIMEOUT', message: 'the hub did not answer' } : ack);
      });
    });
  }

  /**
   * Receives a live topic's events (live-topics.ts on the hub) until the returned function is called; the current
   * state comes first. `onError` hears a refusal (an unknown rule, a member asking for an admin's topic).
   */
  subscribe<E extends keyof ServerToClient>(topic: LiveTopic, event: E, fn: ServerToClient[E], onError?: (message: string) => void): () => void {
    this.socket.on(event, fn as never);
    const entry = this.topics.get(topic);
    if (entry) entry.count++;
    else {
      this.topics.set(topic, { count: 1, ...(onError ? { error: onError } : {}) });
      if (this.socket.connected) this.askFor(topic);
    }
    return () => {
      this.socket.off(event, fn as never);
      const e = this.topics.get(topic);
      if (!e || --e.count > 0) return;
      this.topics.delete(topic);
      if (this.socket.connected) this.socket.emit('unsubscribe', topic, () => undefined);
    };
  }

  private askFor(topic: LiveTopic): void {
    this.socket.emit('subscribe', topic, (ack: Ack) => {
      if (!ack.ok) this.topics.get(topic)?.error?.(ack.message);
    });
  }

  onPairing(fn: () => void): () => void {
    this.pairingListeners.add(fn);
    return () => void this.pairingListeners.delete(fn);
  }

  /** New logbook entries; `reconnected`: the socket was away, and entries may have been missed. */
  onLogbook(fn: (batch: LogbookBatch, reconnected?: boolean) => void): () => void {
    this.logbookListeners.add(fn);
    return () => void this.logbookListeners.delete(fn);
  }

  close(): void {
    this.stop('closed');
  }

  private stop(status: LiveStatus): void {
    this.setStatus(status);
    this.socket.disconnect();
  }

  private setStatus(status: LiveStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.events.status(status);
  }
}
