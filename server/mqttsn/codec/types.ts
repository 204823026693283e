// The MQTT-SN v1.2 messages (MQTT-SN Protocol Specification Version 1.2, IBM, 2013), as decoded values.
// Section numbers below are the specification's.

/** §5.2.2 MsgType values. */
export const MsgType = {
  ADVERTISE: 0x00, SEARCHGW: 0x01, GWINFO: 0x02,
  CONNECT: 0x04, CONNACK: 0x05,
  WILLTOPICREQ: 0x06, WILLTOPIC: 0x07, WILLMSGREQ: 0x08, WILLMSG: 0x09,
  REGISTER: 0x0a, REGACK: 0x0b,
  PUBLISH: 0x0c, PUBACK: 0x0d, PUBCOMP: 0x0e, PUBREC: 0x0f, PUBREL: 0x10,
  SUBSCRIBE: 0x12, SUBACK: 0x13, UNSUBSCRIBE: 0x14, UNSUBACK: 0x15,
  PINGREQ: 0x16, PINGRESP: 0x17, DISCONNECT: 0x18,
  WILLTOPICUPD: 0x1a, WILLTOPICRESP: 0x1b, WILLMSGUPD: 0x1c, WILLMSGRESP: 0x1d,
  /** §5.5 Forwarder Encapsulation. */
  ENCAPSULATED: 0xfe,
} as const;

/** §5.3.10 ReturnCode. */
export const ReturnCode = { ACCEPTED: 0x00, CONGESTION: 0x01, INVALID_TOPIC_ID: 0x02, NOT_SUPPORTED: 0x03 } as const;
export type ReturnCodeValue = 0 | 1 | 2 | 3;

/** §5.3.4 Flags, TopicIdType: 0b00 normal topic id (a topic name in SUBSCRIBE/UNSUBSCRIBE), 0b01 predefined, 0b10 short name. */
export type TopicIdType = 'normal' | 'predefined' | 'short';
/** §5.3.4 QoS: 0b11 is QoS −1 ("publish without connection", §6.8). */
export type Qos = -1 | 0 | 1 | 2;

export interface Flags {
  dup: boolean;
  qos: Qos;
  retain: boolean;
  will: boolean;
  cleanSession: boolean;
  topicIdType: TopicIdType;
}

/** A topic as carried in PUBLISH, SUBSCRIBE or UNSUBSCRIBE: an id (normal or predefined), a short name, or (subscribe only) a name. */
export type TopicRef =
  | { type: 'normal'; id: number }
  | { type: 'predefined'; id: number }
  | { type: 'short'; name: string }
  | { type: 'name'; name: string };

export type Packet =
  | { type: 'advertise'; gwId: number; duration: number }
  | { type: 'searchgw'; radius: number }
  | { type: 'gwinfo'; gwId: number; gwAdd?: Buffer }
  | { type: 'connect'; flags: Flags; protocolId: number; duration: number; clientId: string }
  | { type: 'connack'; returnCode: ReturnCodeValue }
  | { type: 'willtopicreq' }
  | { type: 'willtopic'; flags?: Flags; topic: string }
  | { type: 'willmsgreq' }
  | { type: 'willmsg'; message: Buffer }
  | { type: 'register'; topicId: number; msgId: number; topicName: string }
  | { type: 'regack'; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  | { type: 'publish'; flags: Flags; topic: TopicRef; msgId: number; data: Buffer }
  | { type: 'puback'; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  | { type: 'pubrec'; msgId: number }
  | { type: 'pubrel'; msgId: number }
  | { type: 'pubcomp'; msgId: number }
  | { type: 'subscribe'; flags: Flags; msgId: number; topic: TopicRef }
  | { type: 'suback'; flags: Flags; topicId: number; msgId: number; returnCode: ReturnCodeValue }
  | { type: 'unsubscribe'; flags: Flags; msgId: number; topic: TopicRef }
  | { type: 'unsuback'; msgId: number }
  | { type: 'pingreq'; clientId?: string }
  | { type: 'pingresp' }
  | { type: 'disconnect'; duration?: number }
  | { type: 'willtopicupd'; flags?: Flags; topic: string }
  | { type: 'willtopicresp'; returnCode: ReturnCodeValue }
  | { type: 'willmsgupd'; message: Buffer }
  | { type: 'willmsgresp'; returnCode: ReturnCodeValue };

export type PacketType = Packet['type'];
export type PacketOf<T extends PacketType> = Extract<Packet, { type: T }>;

/** §5.5: a message relayed by a forwarder, with the wireless node it came from (or goes to). */
export interface Encapsulated {
  type: 'encapsulated';
  radius: number;
  nodeId: Buffer;
  /** The encapsulated MQTT-SN message, undecoded. */
  inner: Buffer;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };
