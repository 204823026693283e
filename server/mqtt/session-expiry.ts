import type { Aedes, Client } from 'aedes';
import type { Logger } from '../core/logger.js';
import { aedesInternals, clientInternals } from './aedes-internals.js';
import type { AsyncPersistence, SessionExpiryPersistence, StoredPacket } from './persistence/types.js';
import { withoutWillDelay } from './wills.js';

/**
 * MQTT 5 Session Expiry that outlives the process. A session with a Session Expiry Interval ends that many seconds
 * after its network connection closes [MQTT-3.1.2-23]; aedes 2.0.0-beta.1 counts that down in an in-memory timer
 * only (moscajs/aedes#839), so after a restart or a crash the session stayed in broker.db until its client came back,
 * possibly never, and one whose time ran out while the hub was down was still resumed.
 *
 * Here the deadline is written to the durable persistence (session-expiry-store.ts) beside the rest of the session:
 *
 * - a v5 client with a finite interval > 0 connects (aedes 'client', once the session is registered): its interval is
 *   stored with no deadline yet. If the hub dies with the client connected, the connection ended with it, at a moment
 *   nobody wrote down; the next start counts the interval from itself, the latest it can have been, so a session is
 *   never ended early (it may last up to the downtime longer).
 * - it disconnects ('clientDisconnect'; the DISCONNECT may have changed the interval [MQTT-3.14.2-2], aedes clamped it
 *   to mqtt.maxSessionExpiry): the deadline, now + interval, is stored. An interval of 0 or 0xFFFFFFFF ("never",
 *   [MQTT-3.1.2-22]) has no deadline: the row goes.
 * - the session ends in this run (aedes's own timer: 'sessionExpired'; or it was ended at once by
 *   mqtt.maxExpiringSessions: 'sessionLimitReached'): the row goes.
 * - at start, before the listeners accept anyone, each stored session whose deadline passed is ended: its will, if
 *   still stored, is published first (a will is published no later than the session ends [MQTT-3.1.3-9]; it is then
 *   deleted in the same transaction, so publishOrphanedWills, which runs next, does not publish it again), then its
 *   subscriptions, queued messages, inbound QoS 2 store, will and deadline go in one transaction. The others get a
 *   timer (unref'd, chained past setTimeout's 2^31 ms) that does the same when due, unless the client came back.
 * - Will Delay [MQTT-3.1.3-9]: a will still stored at start whose delay, min(Will Delay Interval, Session Expiry
 *   Interval) from the connection's end, is not over is held until then (or until the session ends, whichever is
 *   first) instead of being published at start with the wills of the last run, and is dropped if the client comes
 *   back first. Its moment needs no column of its own: the connection's end is the stored deadline minus the
 *   interval, the delay is in the stored will. A device that uses Will Delay so that a short outage does not mark it
 *   offline is not marked offline by a restart of the hub either.
 *
 * Only for the SQLite persistence: with `mqtt.persistence: memory` nothing survives a restart and aedes's timers do it.
 */
export interface SessionExpiry {
  /** Sessions of a previous run whose deadline is being counted down by this module. */
  readonly pending: number;
}

/** 0xFFFFFFFF: the session does not expire [MQTT-3.1.2-22]. */
const neverExpires = 0xffff_ffff;
/** setTimeout's longest delay; longer ones are chained. */
const longestTimeout = 2 ** 31 - 1;

type Durable = SessionExpiryPersistence & Pick<AsyncPersistence, 'getWill' | 'putWill' | 'delWill'>;

export function isSessionExpiryPersistence(p: unknown): p is Durable {
  const q = p as Partial<Durable> | null;
  return typeof q?.sessionDeadlines === 'function' && typeof q.getWill === 'function' && typeof q.putWill === 'function' && typeof q.delWill === 'function' && typeof q.putSessionDeadline === 'function' && typeof q.delSessionDeadline === 'function' && typeof q.endExpiredSession === 'function';
}

export interface SessionExpiryOptions {
  /** mqtt.maxSessionExpiry (seconds, 0 = no cap): a deadline stored under a larger cap is brought within it. */
  maxSessionExpiry: number;
  log: Logger;
  now?: () => number;
}

/**
 * Wires the durable deadlines into aedes and ends the sessions of a previous run whose time ran out. Call after
 * aedes.listen() (the persistence is set up) and before clients are accepted. Returns undefined when the persistence
 * keeps no deadlines (the in-memory one).
 */
export async function keepSessionExpiry(aedes: Aedes, opts: SessionExpiryOptions): Promise<SessionExpiry | undefined> {
  const a = aedesInternals(aedes);
  const persistence = a.persistence as unknown;
  if (!isSessionExpiryPersistence(persistence)) return undefined;
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const timers = new Map<string, Timer>();
  /** Delayed wills of a previous run, by client id (see "Will Delay" above). */
  const willTimers = new Map<string, Timer>();
  const written = (what: string, clientId: string) => (err: Error) => {
    // At stop the database may close under a late write; the row is then as it was, and the next start settles it.
    if (a.closed) log.debug({ clientId, err: err.message, what }, 'session deadline not written while stopping');
    else log.warn({ clientId, err: err.message, what }, 'could not write a session deadline to the broker database');
  };
  const cancel = (clientId: string): void => {
    for (const map of [timers, willTimers]) {
      map.get(clientId)?.clear();
      map.delete(clientId);
    }
  };
  const finite = (interval: number): boolean => interval > 0 && interval < neverExpires;
  // The clients with a row once every write submitted so far is applied (the store changes only when the batch runs,
  // so it cannot answer for a put submitted in this same turn): most connects, MQTT 3.x devices', then cost no write.
  const stored = new Set(persistence.sessionDeadlines().map((d) => d.clientId));
  const put = (deadline: { clientId: string; interval: number; expiresAt: number | undefined }, why: string): Promise<void> => {
    stored.add(deadline.clientId);
    return persistence.putSessionDeadline(deadline).catch(written(why, deadline.clientId));
  };
  const forget = (clientId: string, why: string): void => {
    if (!stored.delete(clientId)) return;
    persistence.delSessionDeadline(clientId).catch(written(why, clientId));
  };

  aedes.on('client', (client: Client) => {
    // The session is resumed (or a new one begun): a countdown of a previous run stops here, as aedes's own does.
    cancel(client.id);
    const c = clientInternals(client);
    if (c.version === 5 && finite(c.sessionExpiryInterval)) {
      void put({ clientId: client.id, interval: c.sessionExpiryInterval, expiresAt: undefined }, 'connected');
    } else {
      // MQTT 3.x, or a v5 session that ends with its connection or never: no deadline (a stale one would end it).
      forget(client.id, 'no expiry');
    }
  });
  aedes.on('clientDisconnect', (client: Client) => {
    const c = clientInternals(client);
    if (c.version !== 5) return;
    if (finite(c.sessionExpiryInterval)) {
      void put({ clientId: client.id, interval: c.sessionExpiryInterval, expiresAt: now() + c.sessionExpiryInterval * 1000 }, 'disconnected');
    } else {
      forget(client.id, 'ended with its connection');
    }
  });
  // aedes ended the session itself (its timer of this run, or at once at the mqtt.maxExpiringSessions cap).
  aedes.on('sessionExpired', (client: Client) => forget(client.id, 'expired'));
  aedes.on('sessionLimitReached', (client: Client, info: { reason: string }) => {
    if (info.reason === 'sessionExpiry') forget(client.id, 'over the limit');
  });
  aedes.on('closed', () => {
    for (const map of [timers, willTimers]) {
      for (const timer of map.values()) timer.clear();
      map.clear();
    }
  });

  const publishWill = (clientId: string, will: StoredPacket): Promise<void> => {
    // As aedes publishes a will (its properties kept), minus the Will Delay Interval, a CONNECT property (wills.ts).
    const w = withoutWillDelay(will as { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; properties?: Record<string, unknown> });
    return new Promise<void>((resolve) =>
      a.publish({ cmd: 'publish', topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain, dup: false, properties: w.properties }, null, (err) => {
        if (err) log.warn({ clientId, topic: w.topic, err: err.message }, 'could not publish the will of a session of the last run');
        resolve();
      }),
    );
  };

  /** Ends one session of a previous run whose deadline passed; false when its client is back. */
  const end = async (clientId: string, expiresAt: number): Promise<boolean> => {
    if (a.clients[clientId]) return false;
    const will = await persistence.getWill({ id: clientId });
    if (will) await publishWill(clientId, will);
    const ended = await persistence.endExpiredSession(clientId, expiresAt);
    // Unless the client came back meanwhile (its row then is its new one).
    if (ended && !a.clients[clientId]) stored.delete(clientId);
    return ended;
  };

  /** Publishes a delayed will of a previous run when its delay is over, unless the client came back. */
  const armWill = (clientId: string, willAt: number): void => {
    willTimers.set(
      clientId,
      armAt(willAt, now, () => {
        willTimers.delete(clientId);
        if (a.clients[clientId]) return;
        void (async () => {
          const will = await persistence.getWill({ id: clientId });
          // Ours only: a will stamped by this broker at start; a reconnect would have replaced it (and cancelled this).
          if (!will || will.brokerId !== a.id) return;
          await publishWill(clientId, will);
          await persistence.delWill({ id: clientId });
          log.info({ clientId }, 'published the delayed will of a client of the last run');
        })().catch((err: Error) => written('delayed will', clientId)(err));
      }),
    );
  };

  const arm = (clientId: string, expiresAt: number): void => {
    cancel(clientId);
    timers.set(
      clientId,
      armAt(expiresAt, now, () => {
        timers.delete(clientId);
        end(clientId, expiresAt).then(
          (ended) => ended && log.info({ clientId }, 'MQTT 5 session expired (its deadline was kept across a restart)'),
          (err: Error) => written('expired', clientId)(err),
        );
      }),
    );
  };

  const start = now();
  const due: Array<{ clientId: string; expiresAt: number }> = [];
  const counted: Array<Promise<void>> = [];
  for (const { clientId, interval, expiresAt } of persistence.sessionDeadlines()) {
    // When the connection ended: stored as deadline − interval; no deadline: the client was connected when the last
    // run ended, so its connection ended then, at the latest now.
    const closedAt = expiresAt === undefined ? start : expiresAt - interval * 1000;
    // mqtt.maxSessionExpiry may have been lowered since: clamped as aedes clamps, a server may shorten it [MQTT-3.2.2-22].
    const kept = opts.maxSessionExpiry > 0 ? Math.min(interval, opts.maxSessionExpiry) : interval;
    const deadline = closedAt + kept * 1000;
    if (deadline <= start) {
      // Due, hence stored (a connected one counts from `start`): ended if its row still holds what was read here.
      due.push({ clientId, expiresAt: expiresAt! });
      continue;
    }
    // Written, so that another crash before it comes does not count it from the next start again.
    if (deadline !== expiresAt) counted.push(persistence.putSessionDeadline({ clientId, interval: kept, expiresAt: deadline }));
    arm(clientId, deadline);
    // Will Delay: the will waits min(Will Delay Interval, Session Expiry Interval) after the connection closed
    // [MQTT-3.1.3-9], as aedes's own timer did. Left stamped with the old broker's id it would be published at once,
    // by publishOrphanedWills and by aedes's will sweep (which publish the wills of brokers that are gone); stamped
    // with this broker's id, they leave it to this timer. A will due at the session's end goes with the session (end).
    const will = await persistence.getWill({ id: clientId });
    const willDelay = (will?.properties as { willDelayInterval?: unknown } | undefined)?.willDelayInterval;
    if (will && typeof willDelay === 'number' && willDelay > 0) {
      const willAt = closedAt + Math.min(willDelay, kept) * 1000;
      if (willAt > start && willAt < deadline) {
        counted.push(persistence.putWill({ id: clientId }, will));
        armWill(clientId, willAt);
      } else if (willAt >= deadline) {
        counted.push(persistence.putWill({ id: clientId }, will));
      }
    }
  }
  // A write that fails here (logged) does not stop the hub: the row stays as it was, and the next start tries again.
  await Promise.all(counted.map((write) => write.catch((err: Error) => log.warn({ err: err.message }, 'could not write a session deadline or delayed will at start'))));
  const results = await Promise.all(
    due.map(({ clientId, expiresAt }) =>
      end(clientId, expiresAt).catch((err: Error) => {
        written('expired while the hub was down', clientId)(err);
        return false;
      }),
    ),
  );
  const ended = results.filter(Boolean).length;
  if (due.length || timers.size) log.info({ ended, pending: timers.size, delayedWills: willTimers.size }, 'MQTT 5 sessions of the last run: those whose expiry passed ended, the others counted down');
  return {
    get pending() {
      return timers.size;
    },
  };
}

interface Timer {
  clear(): void;
}

/** Calls `fire` at `at` (ms since the epoch), re-armed in steps setTimeout accepts, unref'd: it never keeps the hub up. */
export function armAt(at: number, now: () => number, fire: () => void): Timer {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    const left = at - now();
    if (left <= 0) {
      timer = undefined;
      fire();
      return;
    }
    timer = setTimeout(schedule, Math.min(left, longestTimeout));
    timer.unref();
  };
  // Not synchronously: the caller registers the timer before it can fire.
  timer = setTimeout(schedule, Math.min(Math.max(at - now(), 0), longestTimeout));
  timer.unref();
  return { clear: () => clearTimeout(timer) };
}
