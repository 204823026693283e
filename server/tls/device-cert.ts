import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { writeAtomic } from './files.js';
import { ensureAuthority, localFiles } from './local-ca.js';
import { issue, validity } from './pki.js';

export interface DeviceCertificate {
  cert: string;
  key: string;
  ca: string;
  serialNumber: string;
  validTo: string;
  /** The hub had no CA yet: it was made now, and a running hub uses it from its next start. */
  caCreated: boolean;
}

/**
 * A client certificate for a device account (`npm run rumah -- devices cert NAME`), signed by the hub's local CA:
 * NAME.crt, NAME.key (0600) and ca.crt in `outDir`, ready to copy to the device. The CN is the account name, which
 * is how the hub maps the certificate to the account (server/tls/client-auth.ts).
 */
export async function issueDeviceCertificate(opts: { dataDir: string; name: string; outDir: string; days: number; now?: number }): Promise<DeviceCertificate> {
  const now = opts.now ?? Date.now();
  const ca = await ensureAuthority(localFiles(opts.dataDir), now);
  const caLeft = Math.floor((Date.parse(new crypto.X509Certificate(ca.certPem).validTo) - now) / 86_400_000);
  if (opts.days > caLeft) throw new RumahError(ErrorCodes.BAD_REQUEST, `--days ${opts.days} is longer than the hub's CA has left (${caLeft} days)`);
  const made = await issue(ca, { commonName: opts.name, usage: 'client', ...validity(now, opts.days) });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const files = { cert: path.join(opts.outDir, `${opts.name}.crt`), key: path.join(opts.outDir, `${opts.name}.key`), ca: path.join(opts.outDir, 'ca.crt') };
  writeAtomic(files.key, made.keyPem, 0o600);
  writeAtomic(files.cert, made.certPem, 0o644);
  writeAtomic(files.ca, ca.certPem, 0o644);
  const leaf = new crypto.X509Certificate(made.certPem);
  return { ...files, serialNumber: leaf.serialNumber, validTo: leaf.validTo, caCreated: ca.created };
}
