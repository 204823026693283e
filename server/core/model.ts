// The core model (see docs and README "Layout"): devices own capabilities; state is the last reported value of each
// (device, property) with its time and cause. A device's report is the truth; a command is only a request.

export type CapabilityKind = 'binary' | 'numeric' | 'enum' | 'text' | 'event';

export interface Access {
  /** The device reports this property. */
  reported: boolean;
  /** The hub may command it (a `set`). */
  settable: boolean;
  /** The hub may ask the device to report it (a `get`). */
  readable: boolean;
}

export interface Capability {
  property: string;
  kind: CapabilityKind;
  access: Access;
  unit?: string;
  min?: number;
  max?: number;
  step?: number;
  /** enum: the allowed values. */
  values?: string[];
  /** binary: the raw words the device uses, so a command is sent in the device's own words. */
  on?: string | boolean;
  off?: string | boolean;
  /** What it senses (HA `device_class`: door, motion, moisture...): binary values are shown in its words. */
  deviceClass?: string;
}

/**
 * `online`/`offline`: what the device said on its availability topic (or its will), or concluded from its reports and
 * its connection; `stale`: it has been silent for longer than its usual reporting interval (server/core/staleness.ts).
 */
export type Availability = 'online' | 'offline' | 'unknown' | 'stale';

/** Why a device's allowed silence is what it is (server/core/staleness.ts). */
export type StaleSource = 'setting' | 'expire_after' | 'availability' | 'learned' | 'first';

/** How long a device may be silent before it is stale (GET /api/devices/:id/staleness). */
export interface StaleWindow {
  /** Seconds of silence allowed; null: never stale. */
  seconds: number | null;
  source: StaleSource;
  /** The median interval between the device's last reports, seconds, when known. */
  medianSeconds?: number;  /** The device reports on its own MQTT connection, which is open: it is not stale while that stays so. */
  ownConnection?: true;
}

/** A JSON value: what a state may hold after a payload is parsed. */
export type StateValue = string | number | boolean | null | StateValue[] | { [key: string]: StateValue };

export type CauseKind = 'device' | 'user' | 'rule' | 'schedule' | 'restore';

/** Who or what caused a change; `parent` lets a rule's action be traced back to the report that fired it. */
export interface Cause {
  kind: CauseKind;
  /** device id, user name, rule id... */
  id?: string;
  parent?: Cause;
}

export interface Device {
  id: string;
  name: string;
  convention: string;
  /** Area from the topic hierarchy (home/floor/room) or as assigned by a user. */
  home?: string;
  floor?: string;
  room?: string;
  /** The topic the device reports on (native: its own topic; others: their state topic). */
  topic: string;
  commandTopic?: string;
  availabilityTopic?: string;
  capabilities: Capability[];
  availability: Availability;
  /** MQTT account (username) that first published it: devices per account are capped. */
  owner?: string;
  createdAt: number;
  lastSeen?: number;
  /** Seconds of silence after which the device is stale, as an admin set it (0: never); absent: automatic. */
  staleAfter?: number;
  /**
   * An admin disabled it (the Devices page): the hub ignores its reports — no state, history, rule trigger, logbook
   * entry or staleness — and refuses commands to it, until it is enabled. The broker still routes its messages: this
   * is the hub's view of the device, not its account's rights (revoke the account to keep it out).
   */
  disabled?: boolean;
}

export interface PropertyState {
  value: StateValue;
  ts: number;
  cause: Cause;
}

export type DeviceState = Record<string, PropertyState>;

export function causeDepth(cause: Cause | undefined): number {
  let depth = 0;
  for (let c = cause; c; c = c.parent) depth++;
  return depth;
}
