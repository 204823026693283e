import crypto from 'node:crypto';
import { splitPem } from './pki.js';

export type PairProblem = 'not-a-certificate' | 'not-a-key' | 'expired' | 'not-yet-valid' | 'key-mismatch';

export interface PairReport {
  /** The first certificate of the file: the one the hub presents (a chain file has the leaf first). */
  leaf?: crypto.X509Certificate;
  problem?: PairProblem;
  /** What is wrong, in words a person can act on. */
  detail?: string;
}

/**
 * Checks a certificate (PEM, possibly with its chain) and private key before they are used. Node would accept an
 * expired certificate and serve it, and every client would fail with an error that points at the client; a key
 * that does not match fails only at the first handshake. Both are cheaper to hear about at start.
 */
export function inspectPair(certText: string, keyText: string, now: number): PairReport {
  const pem = splitPem(certText)[0];
  let leaf: crypto.X509Certificate;
  try {
    if (!pem) throw new Error('no "BEGIN CERTIFICATE" block');
    leaf = new crypto.X509Certificate(pem);
  } catch (err) {
    return { problem: 'not-a-certificate', detail: `not a PEM certificate (${(err as Error).message})` };
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyText);
  } catch (err) {
    return { leaf, problem: 'not-a-key', detail: `not a PEM private key, or an encrypted one (${(err as Error).message}); give the key without a passphrase` };
  }
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (to <= now) return { leaf, problem: 'expired', detail: `expired on ${new Date(to).toISOString()} (subject ${oneLine(leaf.subject)}, serial ${leaf.serialNumber})` };
  if (from > now) return { leaf, problem: 'not-yet-valid', detail: `not valid before ${new Date(from).toISOString()}; is this machine's clock right?` };
  if (!leaf.checkPrivateKey(key)) return { leaf, problem: 'key-mismatch', detail: `the key does not belong to the certificate (subject ${oneLine(leaf.subject)}, serial ${leaf.serialNumber})` };
  return { leaf };
}

export function oneLine(subject: string): string {
  return subject.split('\n').join(', ');
}

/** Days until the certificate expires (negative once it has). */
export function daysLeft(leaf: crypto.X509Certificate, now: number): number {
  return (Date.parse(leaf.validTo) - now) / 86_400_000;
}
