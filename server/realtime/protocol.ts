// The socket.io protocol between the hub and the dashboard: every event name and payload type, defined once.
// The browser bundle imports this file too (web/src/live/*), so it must stay free of Node imports: types, and
// constants only.
//
// Flow (see docs/dashboard.md):
//   connect (session cookie or Bearer token in the handshake; refused with connect_error otherwise)
//   server → `snapshot`  every device with its state and pending commands, and who you are; a large one in parts:
//                        the first devices here, the others at once as `deltas` adding whole devices (parts.ts)
//   server → `deltas`    batches, at most one every `coalesceMs`; a device appears at most once per batch, with
//                        only what changed since the previous batch
//   client → `command`   {deviceId, property, value}, acknowledged with `{ok: true}` or `{ok: false, error, message}`
//   server → `session`   `{ended: true}` just before the server disconnects a socket whose session ended
//   server → `pairing`   admins only: the join window and its candidates, on connect and whenever they change
//   server → `areas`     floors and rooms in order, before the snapshot and whenever one changes (server/api/areas.ts)
//   server → `notifications`  rule notifications (the `notify` action, the rule guards' notices): the last few on
//                        connect, then batches of new ones, at most one every `coalesceMs`
//   server → `logbook`   new logbook entries once written (server/logbook), to every dashboard, oldest first, at most
//                        one batch every `coalesceMs`; older ones are read with GET /api/logbook

import type { Availability, Cause, Device, StateValue } from '../core/model.js';

/** Where socket.io listens; the browser connects to the same path. */
export const socketPath = '/socket.io';

/** The server sends at most one `deltas` batch per this many milliseconds: per device, at most one update. */
export const coalesceMs = 100;

/** A command not confirmed by a report within this time stops being pending and is flagged `unconfirmed`. */
export const pendingTimeoutMs = 10_000;

export type Role = 'admin' | 'member';

/** A command sent to the device that its report has not confirmed yet. */
export interface Pending {
  value: StateValue;
  /** When the command was published (hub clock, ms). */
  since: number;
  cause: Cause;
}

/**
 * A property's state on the wire. `cause` is left out when the device itself reported it, which is nearly always:
 * repeated for every property of 1,000 devices it was a fifth of the snapshot.
 */
export interface WireState {
  value: StateValue;
  ts: number;
  cause?: Cause;
}

export interface LiveDevice extends Device {
  state: Record<string, WireState>;
  /** Pending commands by property. */
  pending: Record<string, Pending>;
}

export interface Snapshot {
  user: { username: string; role: Role };
  devices: LiveDevice[];
  /** The hub's clock when the snapshot was taken, to show "last seen" without trusting the browser's clock. */
  serverTime: number;
}

/**
 * What changed about one device since the previous batch. Fields that are absent did not change. Applying the
 * same delta twice is harmless: every value is absolute.
 */
export interface DeviceDelta {
  id: string;
  /** The device was deleted (nothing else is set). */
  removed?: true;
  /** Added, or its name, area, topics or capabilities changed: the whole description, without state. */
  device?: Device;
  /** Changed properties only. */
  state?: Record<string, WireState>;
  /** Properties whose pending command started (a value) or ended (null: confirmed, or timed out). */
  pending?: Record<string, Pending | null>;
  /** Properties whose pending command timed out without a confirming report. */
  unconfirmed?: string[];
  availability?: Availability;
  lastSeen?: number;
}

export interface Deltas {
  devices: DeviceDelta[];
  serverTime: number;
}

export interface CommandRequest {
  deviceId: string;
  property: string;
  value: StateValue;
}

/** The acknowledgement of every client request. `error` is a RUMAH_ERR_… code from server/core/errors.ts. */
export type Ack = { ok: true } | { ok: false; error: string; message: string };

/** A client that connected with unknown credentials while the join window was open (devices/pairing). */
export interface CandidateView {
  username: string;
  clientId: string;
  address: string;
  firstSeen: number;
  topics: string[];
  announcements: string[];
  subscriptions: string[];
  connected: boolean;
  protocol?: 'MQTT-SN';
}

export interface PairingView {
  open: boolean;
  /** Seconds left when sent; the page counts down by itself. */
  remaining: number;
  candidates: CandidateView[];
}

/** Bounds of the `notifications` event: a rule that notifies in a loop cannot flood the browser. */
export const notificationLimits = {
  /** Notifications in one batch; more in one interval are counted in `dropped`, not sent. */
  perBatch: 20,
  /** The last ones kept for a dashboard that connects later. */
  kept: 20,
  titleLength: 200,
  messageLength: 1000,
} as const;

/** A rule's notification (its `notify` action) or a notice about a rule (a loop stopped, a source's runs dropped). */
export interface NotificationView {
  id: string;
  /** Hub clock, ms. */
  ts: number;
  level: 'info' | 'warning' | 'error';
  title?: string;
  message: string;
  /** The rule that sent it or that it is about. */
  ruleId?: string;
}

export interface NotificationBatch {
  /** Oldest first. */
  notifications: NotificationView[];
  /** Notifications in this interval past `notificationLimits.perBatch`: not sent. */
  dropped: number;
}

/**
 * A floor or a room (server/api/areas.ts). Devices name theirs (Device.floor, Device.room), and the hub keeps those
 * names equal to these. Floors are ordered by position; rooms by position within their floor.
 */
export interface AreaView {
  id: number;
  kind: 'floor' | 'room';
  name: string;
  /** Rooms: their floor (absent only for a room imported from a device that had a room and no floor). */
  floorId?: number;
  position: number;
}

/** Every area, floors first in order, then rooms in order: on connect and whenever one is created, changed or deleted. */
export interface AreasList {
  areas: AreaView[];
}

// --- Live pages (issue 18 item 7): rules, a rule's evaluations, the broker page, device accounts. A page asks for
// what it shows with `subscribe` when it mounts and `unsubscribe` when it unmounts; the hub sends nothing of these
// to a socket that did not ask (server/realtime/live-topics.ts).

/** What a page may subscribe to: `rule:<id>` is that rule's timeline of evaluations. */
export type LiveTopic = 'rules' | 'broker' | 'accounts' | `rule:${string}`;

/** The least role that may subscribe to a topic (checked on the hub for every `subscribe`). */
export function topicRole(topic: string): Role | undefined {
  // Any printable id: a rule whose file name made its id is looked up as it is (an unknown one is NOT_FOUND).
  if (topic === 'rules' || /^rule:[\x21-\x7e]{1,128}$/.test(topic)) return 'member';
  if (topic === 'broker' || topic === 'accounts') return 'admin';
  return undefined;
}

/** The broker page's figures go at most this often, and only while an admin's page is open. */
export const brokerStatsMs = 1000;
/** Evaluations of one rule sent in one batch at most (the hub keeps 25 runs and 25 non-fires per rule). */
export const ruleTracesPerBatch = 50;

/** A rule's status as the rules list shows it (rules/engine/rule-set.ts RuleStatus, the fields the page reads). */
export interface RuleStatusView {
  id: string;
  file: string;
  name: string;
  description?: string;
  enabled: boolean;
  state: 'running' | 'disabled' | 'error' | 'stopped';
  errors: Array<{ file: string; line: number; column: number; path: string; message: string }>;
  runningPrevious: boolean;
  problems: string[];
  stopped?: { at: number; reason: string };
  lastTriggeredAt?: number;
  lastRun?: { traceId: string; at: number; result: string; reason?: string };
}

/** `rules`: every rule (`full`, on subscribe and when a file was loaded, saved, enabled or removed), or the ones whose status changed (a run). */
export interface RulesUpdate {
  full: boolean;
  rules: RuleStatusView[];
}

/** One evaluation of a rule (rules/engine/trace.ts Trace). */
export interface TraceView {
  id: string;
  ruleId: string;
  at: number;
  updatedAt?: number;
  finishedAt?: number;
  result: string;
  reason?: string;
  trigger?: { index: number; id?: string; kind: string; description?: string };
  cause?: string;
  steps: Array<{ at: number; path: string; kind: string; message: string; error?: { code: string; message: string } }>;
  fired?: boolean;
}

/** `ruleTraces`: a rule's evaluations, the newest ones (`full`, on subscribe), or those that began or changed since the last batch. */
export interface RuleTracesUpdate {
  ruleId: string;
  full: boolean;
  traces: TraceView[];
}

/** The broker page (server/api/broker.ts BrokerView, whose type the hub checks against this one). */
export interface BrokerStats {
  /** true: everything; false: only what changed since the previous one (fields left out did not change). */
  full: boolean;
  clients?: Array<{ clientId: string; username?: string; protocolVersion?: number; since: number; protocol?: string; bridge?: { state: 'up' | 'down' | 'unknown'; messagesIn: number; rateIn: number; topics: string[] } }>;
  counters: { messagesIn: number; messagesOut: number };
  /** full: every sample kept; otherwise the samples newer than the previous update's. */
  rates: Array<{ ts: number; in: number; out: number }>;
  /** full: every topic kept; otherwise the topics that received a message since the previous update. */
  topics: Array<{ topic: string; count: number; ts: number; retained: boolean; bytes: number; preview: string }>;
  topicsCapped: boolean;
  outboundBridges?: unknown[];
}

/** A device account (server/store/accounts-repo.ts), without any secret. */
export interface AccountItem {
  username: string;
  kind: string;
  createdAt: number;
  revokedAt?: number;
  acl?: string[];
}

export interface ServerToClient {
  snapshot(snapshot: Snapshot): void;
  deltas(deltas: Deltas): void;
  session(info: { ended: true }): void;
  pairing(state: PairingView): void;
  notifications(batch: NotificationBatch): void;
  areas(list: AreasList): void;
  logbook(batch: LogbookBatch): void;
  rules(update: RulesUpdate): void;
  ruleTraces(update: RuleTracesUpdate): void;
  broker(stats: BrokerStats): void;
  accounts(list: { accounts: AccountItem[] }): void;
}

export interface ClientToServer {
  command(request: CommandRequest, ack: (ack: Ack) => void): void;
  /** Start receiving a topic's events; the current state comes at once. Acknowledged like `command`. */
  subscribe(topic: LiveTopic, ack: (ack: Ack) => void): void;
  unsubscribe(topic: LiveTopic, ack: (ack: Ack) => void): void;
}

/** The least role allowed to send each client event: members may control devices, not administer the hub. */
export const eventRoles: Record<keyof ClientToServer, Role> = {
  command: 'member',
  // Each topic is checked again against topicRole().
  subscribe: 'member',
  unsubscribe: 'member',
};

/** `connect_error` data: the browser sends the user to the login page on UNAUTHORIZED. */
export interface ConnectErrorData {
  code: string;
}

// The logbook (server/logbook, docs/dashboard.md#logbook): what happened in the house, in words.

/** What a logbook entry is about. */
export const logbookKinds = ['state', 'event', 'command', 'rule', 'availability', 'pairing', 'login'] as const;
export type LogbookKind = (typeof logbookKinds)[number];
/**
 * Kinds only admins are shown (REST and socket): logins (with the address they came from) and pairing candidates are
 * the hub's security record, and the pairing and users pages are admins' too.
 */
export const adminLogbookKinds: readonly LogbookKind[] = ['login', 'pairing'];
/** Who or what caused it: the page's "cause" filter. `system`: the hub itself (pairing, a restore, the hub's own verdicts). */
export const logbookCauses = ['device', 'user', 'rule', 'system'] as const;
export type LogbookCause = (typeof logbookCauses)[number];

export interface LogbookEntry {
  /** Increasing: newer entries have higher ids. GET /api/logbook?before=<id> pages back from here. */
  id: number;
  /** Hub clock, ms. */
  ts: number;
  kind: LogbookKind;
  cause: LogbookCause;
  /** The device it is about, when it is about one (its current area decides the area filter). */
  deviceId?: string;
  /** The user name or rule id that did it. */
  actor?: string;
  /** Set for things that went wrong: a failed login, a rule run that failed or was stopped. */
  level?: 'warning';
  message: string;
}

export interface LogbookBatch {
  /** Oldest first. */
  entries: LogbookEntry[];
}

/** The page size of GET /api/logbook: `limit` defaults to the first, and may not exceed the second. */
export const logbookPage = { defaultLimit: 100, maxLimit: 500 } as const;
