import type tls from 'node:tls';
import type { ConnectContext, MqttAuthenticator, MqttIdentity } from '../mqtt/broker.js';
import type { Account } from '../store/accounts-repo.js';

export interface PeerCertificate {
  /** CN first, then the DNS names of the subjectAltName: the names the device may be known by. */
  names: string[];
  /** Set when the certificate did not verify against the trusted CAs (OpenSSL's code, e.g. CERT_HAS_EXPIRED). */
  error?: string;
}

/**
 * The client certificate of an MQTT connection, if it sent one. Only a TLS socket that asked for one has it
 * (tls.clientCertificates); the chain was checked by OpenSSL during the handshake against the trusted CAs, and
 * `authorized` says whether it passed. A failed check is reported, never used as an identity.
 */
export function peerCertificate(conn: unknown): PeerCertificate | undefined {
  // A TLS socket by its shape: every login asks, and node:tls itself is not loaded unless TLS is on (listeners.ts).
  if (!isTlsSocket(conn)) return undefined;
  const cert = conn.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const cn = cert.subject?.CN;
  const names = [...(Array.isArray(cn) ? cn : cn ? [cn] : [])];
  for (const part of (cert.subjectaltname ?? '').split(', ')) if (part.startsWith('DNS:')) names.push(part.slice(4));
  if (!conn.authorized) return { names, error: String(conn.authorizationError ?? 'not trusted') };
  return { names };
}

function isTlsSocket(conn: unknown): conn is tls.TLSSocket {
  return typeof conn === 'object' && conn !== null && (conn as { encrypted?: unknown }).encrypted === true && typeof (conn as tls.TLSSocket).getPeerCertificate === 'function';
}

interface AccountLookup {
  get(username: string): Promise<Account | undefined>;
}

/**
 * Logs a device in by its verified client certificate when it sends no password: the certificate's CN (or a DNS
 * name of its subjectAltName) names an existing MQTT account, and the identity is exactly what a password login of
 * that account gets (kind and topic filters), so the ACL is the same. A revoked account is refused, which is how a
 * certificate is withdrawn (`devices revoke NAME`). A username, if sent, must be one of the certificate's names.
 * Everything else goes to the next authenticator (passwords, the join window).
 */
export class CertificateAuthenticator implements MqttAuthenticator {
  constructor(private readonly next: MqttAuthenticator, private readonly accounts: AccountLookup) {}

  async authenticate(username: string, password: string, ctx: ConnectContext): Promise<MqttIdentity | undefined> {
    const names = ctx.certificateNames;
    if (!names?.length || password !== '') return this.next.authenticate(username, password, ctx);
    for (const name of username ? names.filter((n) => n === username) : names) {
      const account = await this.accounts.get(name);
      if (account && account.revokedAt === undefined) return { username: account.username, kind: account.kind, acl: account.acl };
    }
    return undefined;
  }
}
