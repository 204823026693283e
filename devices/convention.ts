import type { Logger } from '../server/core/logger.js';
import type { MqttMessage } from '../server/core/events.js';
import type { Availability, Capability, Device, StateValue } from '../server/core/model.js';

/** What a convention learned about a device: created or updated in the registry by id. */
export interface DeviceDescriptor {
  id: string;
  name: string;
  convention: string;
  topic: string;
  commandTopic?: string;
  availabilityTopic?: string;
  home?: string;
  floor?: string;
  room?: string;
  /** Merged into the device's capabilities by property name. */
  capabilities: Capability[];
  /** Other ids this device is known by (a Zigbee2MQTT device that also announces HA discovery). */
  aliases?: string[];
}

/** The result of one message: everything a convention concluded, applied by the registry in this order. */
export interface ConventionUpdate {
  devices?: DeviceDescriptor[];
  removed?: string[];
  states?: { deviceId: string; values: Record<string, StateValue> }[];
  events?: { deviceId: string; property: string; value: StateValue }[];
  availability?: { deviceId: string; availability: Availability }[];
  /** Messages the hub should publish in reply (e.g. a request for full state). */
  publish?: OutgoingMessage[];
  /** The message was for this convention but is unusable: logged and shown in the device's log. */
  rejected?: { deviceId?: string; reason: string; /** It was about another account's device (counted apart). */ foreign?: boolean };
}

export interface OutgoingMessage {
  topic: string;
  payload: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

export interface ConventionContext {
  log: Logger;
  now(): number;
  getDevice(id: string): Device | undefined;
  /** The account owning a topic (the ACL's index of owned filters): a device may not be given another account's topics. */
  topicOwner?(topic: string): string | undefined;
}

/**
 * One device convention (native home topics, Home Assistant discovery, Zigbee2MQTT, Tasmota, Shelly, Homie).
 * Adding a convention is one new folder and one line in devices/conventions.ts.
 */
export interface Convention {
  readonly name: string;
  /** A cheap test on the topic alone: the first convention that claims a topic handles it. */
  claims(topic: string): boolean;
  handle(msg: MqttMessage): ConventionUpdate | undefined;
  /** The command that sets `property` to `value`, in the device's own words; undefined when it cannot. */
  encodeCommand(device: Device, property: string, value: StateValue): OutgoingMessage | undefined;
  /**
   * The topic filters `device` owns, when this convention knows it (else none): every topic matching one of them
   * belongs to the device's account, and no other device account may publish on it, subscribe to it or receive it
   * (devices/pairing/acl.ts). Topics or filters ending in `#`; asked again whenever the device is added or changes,
   * and once after the retained messages are replayed at start. Computed from what the convention learned, or
   * else from the device's stored topics, so it holds from the first moment after a restart.
   */
  ownedFilters(device: Device): string[];
  /** Messages to publish when the hub starts (e.g. `homeassistant/status online`). */
  startMessages?(): OutgoingMessage[];
  /** Messages to publish when the hub's join window opens or closes (Zigbee2MQTT permit_join). */
  joinWindowMessages?(open: boolean, seconds: number): OutgoingMessage[];
}

export type ConventionFactory = (ctx: ConventionContext) => Convention;
