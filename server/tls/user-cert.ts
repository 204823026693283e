import type crypto from 'node:crypto';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { readRequired } from './files.js';
import { inspectPair } from './inspect.js';

export interface UserCertificate {
  /** The whole file: the leaf and any chain after it, all sent to clients. */
  certPem: string;
  keyPem: string;
  leaf: crypto.X509Certificate;
}

/**
 * A certificate and key the user gave (tls.certFile / tls.keyFile), checked before use. At start a problem is a
 * coded error (exit code 2); on reload the caller logs it and keeps serving the previous certificate.
 */
export function loadUserCertificate(certFile: string, keyFile: string, now: number): UserCertificate {
  const certPem = readRequired(certFile, 'tls.certFile');
  const keyPem = readRequired(keyFile, 'tls.keyFile');
  const report = inspectPair(certPem, keyPem, now);
  if (report.problem || !report.leaf) {
    const file = report.problem === 'not-a-key' ? keyFile : certFile;
    throw new RumahError(ErrorCodes.TLS_CERT, `TLS certificate ${certFile} with key ${keyFile} cannot be used: ${report.detail}`, { file, reason: report.problem });
  }
  return { certPem, keyPem, leaf: report.leaf };
}
