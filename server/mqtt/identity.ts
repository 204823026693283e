// Who an MQTT client is, how it proves it, and what it may do: the seams between the broker and accounts/ACLs.
import type { HashSlot } from '../auth/passwords.js';

export interface MqttIdentity {
  username: string;
  /** admin: unrestricted; device: a device account, ACL applies; candidate: waiting in the join window. */
  kind: 'admin' | 'device' | 'anonymous' | 'candidate';
  /** Topic filters a device account is limited to, when it has them. */
  acl?: string[];
}

export interface ConnectContext {
  clientId: string;
  address: string;
  /** Names of a verified client certificate (MQTT over TLS with tls.clientCertificates): CN, then DNS SANs. */
  certificateNames?: string[];
  /**
   * Where each password hash of this login runs (every scrypt: the account's, an unknown name's, a pairing
   * candidate's): the login gate, which bounds the hashes running at once and takes them in the order the logins came.
   * Absent: at once.
   */
  hashSlot?: HashSlot;
}

export interface MqttAuthenticator {
  authenticate(username: string, password: string, ctx: ConnectContext): Promise<MqttIdentity | undefined>;
  /**
   * A login whose password was verified before, answered without hashing; undefined: authenticate() decides, in the
   * login gate. Without it a reconnecting device waited behind every scrypt in the gate (1,000 devices pairing).
   */
  verifiedBefore?(username: string, password: string): Promise<MqttIdentity | undefined>;
}

/** The seam for topic ACLs: return a reason to deny, or undefined to allow. */
export interface MqttAcl {
  publish(identity: MqttIdentity, topic: string, clientId: string): string | undefined;
  subscribe(identity: MqttIdentity, filter: string, clientId: string): string | undefined;
  /** Whether a copy of a message on `topic` may be delivered to a client of `identity` (on every copy: keep it cheap). */
  forward?(identity: MqttIdentity | undefined, topic: string): boolean;
}
