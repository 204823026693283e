import crypto from 'node:crypto';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { createAuthority, issue, validity, type KeyPairPem } from './pki.js';
import { daysLeft, inspectPair } from './inspect.js';
import { coversAll, type HostNames } from './names.js';
import { ensurePrivateDir, readOptional, writeAtomic } from './files.js';

/** Ten years: the CA is what devices are told to trust, and re-trusting it on every device is the expensive part. */
export const caDays = 3650;
/** 825 days, the longest server certificate Apple devices accept from a private CA; renewed 30 days before. */
export const serverDays = 825;
export const renewBeforeDays = 30;

export interface LocalFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function localFiles(dataDir: string): LocalFiles {
  const dir = path.join(dataDir, 'tls');
  return { dir, caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key'), serverCert: path.join(dir, 'server.crt'), serverKey: path.join(dir, 'server.key') };
}

/**
 * The hub's own certification authority in `<data>/tls/`: read if it is there, made on first use. A CA that is
 * there but broken is never silently replaced, since every device trusting it would be cut off: the error says so
 * and what to do.
 */
export async function ensureAuthority(files: LocalFiles, now: number): Promise<KeyPairPem & { created: boolean }> {
  const certPem = readOptional(files.caCert);
  const keyPem = readOptional(files.caKey);
  if (certPem === undefined && keyPem === undefined) {
    ensurePrivateDir(files.dir);
    const { notBefore, notAfter } = validity(now, caDays);
    // A random suffix tells two hubs' CAs apart in a device's or browser's list of trusted authorities.
    const ca = await createAuthority(`rumah local CA ${crypto.randomBytes(3).toString('hex')}`, notBefore, notAfter);
    writeAtomic(files.caKey, ca.keyPem, 0o600);
    writeAtomic(files.caCert, ca.certPem, 0o644);
    return { ...ca, created: true };
  }
  const fix = `Restore it from a backup, or move ${files.dir} away to make a new CA (every device and browser must then trust the new one)`;
  if (certPem === undefined || keyPem === undefined) {
    throw new RumahError(ErrorCodes.TLS_CERT, `${certPem === undefined ? files.caCert : files.caKey} is missing but its partner is there. ${fix}`, { file: files.dir, reason: 'missing' });
  }
  const report = inspectPair(certPem, keyPem, now);
  if (report.problem) throw new RumahError(ErrorCodes.TLS_CERT, `the hub's CA in ${files.dir} cannot be used: ${report.detail}. ${fix}`, { file: files.caCert, reason: report.problem });
  return { certPem, keyPem, created: false };
}

/**
 * The server certificate, signed by the local CA, for `names`. Made again when it is missing, broken, not from
 * this CA, due for renewal, or does not name every current address (a new IP from DHCP, a name added to
 * tls.hostnames). Devices trust the CA, not this certificate, so replacing it needs nothing from them.
 */
export async function ensureServerCertificate(files: LocalFiles, ca: KeyPairPem, names: HostNames, hostname: string, now: number): Promise<KeyPairPem & { renewed: boolean; why?: string }> {
  const certPem = readOptional(files.serverCert);
  const keyPem = readOptional(files.serverKey);
  const why = certPem === undefined || keyPem === undefined ? 'missing' : needsRenewal(certPem, keyPem, ca, names, now);
  if (!why) return { certPem: certPem!, keyPem: keyPem!, renewed: false };
  const made = await issue(ca, { commonName: hostname || 'rumah', dns: names.dns, ips: names.ips, usage: 'server', ...validity(now, serverDays) });
  ensurePrivateDir(files.dir);
  // Key first: a crash between the two writes leaves a mismatch, which the next start sees and repairs.
  writeAtomic(files.serverKey, made.keyPem, 0o600);
  writeAtomic(files.serverCert, made.certPem, 0o644);
  return { ...made, renewed: true, why };
}

function needsRenewal(certPem: string, keyPem: string, ca: KeyPairPem, names: HostNames, now: number): string | undefined {
  const report = inspectPair(certPem, keyPem, now);
  if (report.problem || !report.leaf) return report.problem ?? 'unreadable';
  const caCert = new crypto.X509Certificate(ca.certPem);
  if (!report.leaf.checkIssued(caCert) || !report.leaf.verify(caCert.publicKey)) return 'signed by another CA';
  if (daysLeft(report.leaf, now) < renewBeforeDays) return 'expires soon';
  if (!coversAll(report.leaf.subjectAltName, names)) return 'host names or addresses changed';
  return undefined;
}
