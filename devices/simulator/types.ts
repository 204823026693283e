// The simulator's vocabulary, shared by the device kinds (what a device is and does) and the wire formats (how
// one convention puts it on MQTT). Kinds know nothing of topics; wire formats know nothing of physics.

export type Value = boolean | number | string;

export const KIND_NAMES = ['light', 'dimmer', 'switch', 'plug', 'thermostat', 'temperature', 'humidity', 'motion', 'contact', 'button'] as const;
export type KindName = (typeof KIND_NAMES)[number];

export const CONVENTION_NAMES = ['native', 'homeassistant', 'zigbee2mqtt', 'tasmota', 'shelly', 'homie'] as const;
export type ConventionName = (typeof CONVENTION_NAMES)[number];

/**
 * One property of a device kind, in neutral names that every wire format maps to its own:
 * `state` (relay on/off), `brightness` (0..255), `power` (W), `energy` (kWh), `temperature` (°C),
 * `setpoint` (°C), `valve` (%), `humidity` (%), `motion`, `contact` (true = open), `action` (a button event).
 */
export interface PropertySpec {
  name: string;
  type: 'boolean' | 'number' | 'enum';
  settable: boolean;
  unit?: string;
  min?: number;
  max?: number;
  step?: number;
  values?: readonly string[];
  /** An event (a button press): published when it happens, never a state. */
  event?: boolean;
}

export interface DeviceEvent {
  property: string;
  value: string;
}

/** What a device has to say when the scheduler gives it a turn. */
export interface TickResult {
  /** False: nothing to publish this turn (a button nobody pressed); the turn goes to the next device. */
  report: boolean;
  event?: DeviceEvent;
}

/** A device's behaviour: state that evolves with time and obeys commands. Pure logic, no I/O. */
export interface DeviceModel {
  readonly kind: KindName;
  readonly properties: readonly PropertySpec[];
  /** Current values as the device publishes them (rounded as real firmware does); events are not state. */
  values(): Record<string, Value>;
  /** Time passes: drift, bursts, presses. */
  tick(now: number): TickResult;
  /** A command. False when the property is not settable or the value makes no sense for it. */
  set(property: string, value: Value, now: number): boolean;
}

/** One virtual device: its model and where it lives. */
export interface SimDevice {
  readonly index: number;
  readonly kind: KindName;
  readonly model: DeviceModel;
  readonly home: string;
  readonly floor: string;
  readonly room: string;
  /** The thing's name in its room: `light`, `light_2` for a second light. */
  readonly thing: string;
  /** Human name, "Kitchen light". */
  readonly name: string;
  /** `[a-z0-9-]` id unique in the simulation, "kitchen-light", "kitchen-light-2". */
  readonly slug: string;
  /** 12 upper-case hex digits, stable for a seed and index. */
  readonly mac: string;
}

export interface Message {
  topic: string;
  payload: string;
  retain?: boolean;
  qos?: 0 | 1 | 2;
}

/** A decoded message from the hub: properties to set, properties to report back, and replies to publish. */
export interface CommandResult {
  device?: SimDevice;
  set?: { property: string; value: Value }[];
  /** Properties the hub asked to read: reported back even though nothing changed. */
  report?: string[];
  reply?: Message[];
  /** Wait before replying: spreads a re-announcement over many devices (HA docs recommend a random delay). */
  replyDelayMs?: number;
}

/** Every message of one MQTT connection in one convention: one device, several, or a gateway's. */
export interface ConnectionCodec {
  readonly clientId: string;
  readonly devices: readonly SimDevice[];
  /** A connection has one will [MQTT-3.1.2-8]: the first device's availability, or the gateway's. */
  readonly will: Message;
  readonly subscriptions: readonly string[];
  /** Published on every (re)connect, in order: availability, discovery, full state. */
  announce(): Message[];
  /** Published before a clean disconnect (which suppresses the will [MQTT-3.1.2-10]): every device offline. */
  retire(): Message[];
  /** A scheduled report: the device's state, or its event. */
  telemetry(device: SimDevice, tick: TickResult): Message[];
  /** The confirmation of a command: the new state of `properties`, as the convention reports it. */
  confirm(device: SimDevice, properties: readonly string[]): Message[];
  /** A message on one of `subscriptions`; undefined when it is not understood (ignored, counted). */
  command(topic: string, payload: string, retained: boolean): CommandResult | undefined;
}

export interface WireFormat {
  readonly convention: ConventionName;
  /** One connection for many devices by nature (a Zigbee2MQTT bridge) rather than one per device. */
  readonly gateway: boolean;
  connection(devices: readonly SimDevice[], index: number): ConnectionCodec;
}
