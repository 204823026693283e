import type { Availability, Cause, Device, StateValue } from './model.js';

/** Every event on the hub's bus, with its payload type: the one place names are defined. */
export interface HubEvents {
  /** Every publish the broker routed, from a client or from the hub itself. Hot path: keep listeners cheap. */
  message: MqttMessage;
  deviceAdded: { device: Device };
  deviceUpdated: { device: Device };
  deviceRemoved: { deviceId: string };
  /** Only real changes: the same value reported again is not a change. */
  stateChanged: StateChange;
  /** Event capabilities (button presses): they fire triggers and are never stored as state. */
  deviceEvent: { deviceId: string; property: string; value: StateValue; ts: number; cause: Cause };
  availabilityChanged: { deviceId: string; availability: Availability; previous: Availability; ts: number };
  commandSent: { deviceId: string; property: string; value: StateValue; topic: string; payload: string; cause: Cause };
  clientConnected: {
    clientId: string;
    username?: string;
    address?: string;
    /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
    protocolVersion?: number;
    /** Another broker's bridge: its CONNECT carried the bridge bit (mosquitto's try_private). */
    bridge?: boolean;
  };
  /** A bridged broker announced its state on its connection-state topic (server/mqtt/bridge-clients.ts). */
  bridgeState: { clientId: string; state: 'up' | 'down' | 'unknown' };
  clientDisconnected: { clientId: string; username?: string; reason: 'closed' | 'keepalive' | 'error' };
  /** The join window opened or closed. */
  joinWindowChanged: { open: boolean; remaining: number };
  /** A pairing candidate appeared, changed (published, disconnected) or was decided. */
  candidateChanged: { username: string; state: 'pending' | 'accepted' | 'rejected' };
  /** A device message that a parser refused or a limit dropped: shown in the device's log. */
  deviceRejected: { topic: string; username?: string; deviceId?: string; reason: string };
  /** For the dashboard: a rule's `notify` action, or the rules engine reporting a problem (a rule stopped by a guard). */
  notification: Notification;
  /** A rule run that fired ended (done, error, stopped, cancelled...): for the logbook. Dry runs are not told. */
  ruleRun: RuleRun;
  /** A dashboard login by password, accepted or refused (never the password). Throttled attempts are not told. */
  userLogin: { username: string; ok: boolean; address?: string; ts: number };
  /** A device account was created, accepted, rotated or revoked (server/api/pairing.ts): the dashboard's list. */
  accountsChanged: { username: string };
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Set when a client published it; absent when the hub itself did. */
  clientId?: string;
  /** The account of the client that published it: the registry lets it speak only for devices that account owns. */
  username?: string;
  /** The publisher is an admin account (unrestricted by the ACL): it may speak for any device. */
  admin?: boolean;
  /** A retained message handed to the registry again at start (Hub.replayRetained), not one a client just sent. */
  replayed?: boolean;
}

export interface StateChange {
  deviceId: string;
  property: string;
  value: StateValue;
  previous: StateValue | undefined;
  ts: number;
  cause: Cause;
}

export interface Notification {
  id: string;
  ts: number;
  level: 'info' | 'warning' | 'error';
  title?: string;
  message: string;
  /** The rule that sent it or that it is about. */
  ruleId?: string;
  cause?: Cause;
}

export interface RuleRun {
  ruleId: string;
  traceId: string;
  /** A final trace result (rules/engine/trace.ts). */
  result: string;
  reason?: string;
  /** When it fired, and when it ended. */
  at: number;
  finishedAt: number;
  /** What fired it, as its trace says ("kitchen/motion changed to true"). */
  trigger?: string;
}
