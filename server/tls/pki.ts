import nodeCrypto, { type webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

let loaded: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 and its ASN.1 stack, loaded the first time a certificate is made: ~100 ms of a start that makes
 * none (a hub without TLS, or one whose certificates exist), on the way to the first CONNACK (issue 19 item 6).
 * Its Reflect shim goes first (ESM evaluates one import after the other).
 */
function x509Lib(): Promise<typeof X509> {
  return (loaded ??= import('./reflect-metadata.js').then(() => import('@peculiar/x509')));
}

/**
 * Certificates for the hub's local authority, made with WebCrypto through @peculiar/x509 (no openssl binary).
 * ECDSA P-256 everywhere: every TLS stack a home device runs (mbedTLS on ESP32, BearSSL on ESP8266 with EC
 * support, OpenSSL, browsers) verifies it, keys are small and made in milliseconds.
 */
const subtle = globalThis.crypto.subtle;
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const dayMs = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName; clients check the server's name against these. */
  dns?: string[];
  ips?: string[];
  usage: 'server' | 'client';
  notBefore: Date;
  notAfter: Date;
}

/** A self-signed certification authority that may sign end-entity certificates only (pathLength 0). */
export async function createAuthority(commonName: string, notBefore: Date, notAfter: Date): Promise<KeyPairPem> {
  const x509 = await x509Lib();
  const keys = await subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: distinguishedName(commonName), notBefore, notAfter, keys, signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, globalThis.crypto),
    ],
  }, globalThis.crypto);
  return { certPem: cert.toString('pem'), keyPem: await exportKey(x509, keys.privateKey) };
}

/** An end-entity certificate signed by `ca`, with a fresh key. */
export async function issue(ca: KeyPairPem, opts: IssueOptions): Promise<KeyPairPem> {
  const x509 = await x509Lib();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.keyPem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const keys = await subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const altNames = [...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, globalThis.crypto),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false, globalThis.crypto),
  ];
  if (altNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: distinguishedName(opts.commonName), issuer: caCert.subject,
    notBefore: opts.notBefore, notAfter: opts.notAfter, publicKey: keys.publicKey, signingKey: caKey, signingAlgorithm: ecdsa, extensions,
  }, globalThis.crypto);
  return { certPem: cert.toString('pem'), keyPem: await exportKey(x509, keys.privateKey) };
}

/** A validity window starting an hour back: a device whose clock is a little behind still accepts it. */
export function validity(now: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * dayMs) };
}

/** SHA-256 fingerprint as browsers and `openssl x509 -fingerprint -sha256` show it (AB:CD:...). */
export function fingerprint256(certPem: string): string {
  return new nodeCrypto.X509Certificate(certPem).fingerprint256;
}

/** Every certificate block of a PEM file, in order (a chain file has the leaf first). */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** 16 random bytes, first bit clear: serial numbers are positive integers of at most 20 bytes (RFC 5280 4.1.2.2). */
function serial(): string {
  const bytes = nodeCrypto.randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** A JSON name, not a DN string, so a ',' or '=' in a name cannot break it; a CN has at most 64 characters (X.520). */
function distinguishedName(commonName: string): X509.JsonName {
  return [{ CN: [commonName.slice(0, 64)] }];
}

async function exportKey(x509: typeof X509, key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}
