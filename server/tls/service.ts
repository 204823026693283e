import crypto from 'node:crypto';
import type tls from 'node:tls';
import os from 'node:os';
import type { Config } from '../config/schema.js';
import { ErrorCodes, RumahError, isRumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { readRequired, resolveIn } from './files.js';
import { daysLeft, oneLine } from './inspect.js';
import { ensureAuthority, ensureServerCertificate, localFiles, renewBeforeDays } from './local-ca.js';
import { hostNames } from './names.js';
import { fingerprint256, splitPem } from './pki.js';
import { loadUserCertificate } from './user-cert.js';
import { watchFiles } from './watch.js';

export interface TlsServiceOptions {
  config: Config['tls'];
  dataDir: string;
  bind: string;
  log: Logger;
  now?: () => number;
}

export interface TlsInfo {
  /** generated: the hub's local CA signed it; user: tls.certFile. */
  source: 'generated' | 'user';
  /** SHA-256 of the certificate the hub presents now (the CLI pins it to reach a running hub). */
  fingerprint256: string;
  serialNumber: string;
  validTo: string;
  /** The local CA, when it signed the server certificate: served at /ca.crt for devices and browsers to trust. */
  caPem?: string;
  caFingerprint256?: string;
}

/**
 * The hub's TLS material: the server certificate (generated from the local CA, or the user's), the CAs whose client
 * certificates devices may log in with, and live reload. Listeners subscribe and get new options to pass to
 * `setSecureContext`, so new connections use a new certificate while open ones keep theirs.
 */
export class TlsService {
  private material!: { certPem: string; keyPem: string; clientCaPem?: string; info: TlsInfo };
  private readonly listeners: Array<(options: tls.SecureContextOptions, info: TlsInfo) => void> = [];
  private stopWatching?: () => void;
  private renewTimer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: TlsServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Loads or makes the certificates; throws RumahError(TLS_CERT) when the user's cannot be used. */
  async start(): Promise<TlsInfo> {
    this.material = await this.load();
    const { info } = this.material;
    const { config, log } = this.opts;
    // The user's files (certificate, key, client CA) are watched; the generated ones change only by our hand.
    if (this.userFiles().length) this.stopWatching = watchFiles({ files: this.userFiles(), onChange: () => void this.reload() });
    // Once a day: renew a generated certificate before it expires, warn about a user certificate that will.
    this.renewTimer = setInterval(() => void this.reload(), 24 * 3600_000);
    this.renewTimer.unref();
    log.info({ source: info.source, serialNumber: info.serialNumber, validTo: info.validTo, caFingerprint256: info.caFingerprint256, clientCertificates: config.clientCertificates }, 'TLS ready');
    return info;
  }

  get info(): TlsInfo {
    return this.material.info;
  }

  /** What a TLS server needs: key, certificate (with chain), and the CAs trusted for client certificates. */
  get secureContext(): tls.SecureContextOptions {
    const { certPem, keyPem, clientCaPem } = this.material;
    return { key: keyPem, cert: certPem, ...(clientCaPem ? { ca: clientCaPem } : {}), minVersion: 'TLSv1.2' };
  }

  onChange(listener: (options: tls.SecureContextOptions, info: TlsInfo) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Loads again; when the certificate or a trusted CA changed, tells every listener. A user certificate that fails
   * its checks (a renewal tool half way through writing, an expired file) is logged and the old one kept serving.
   */
  async reload(): Promise<boolean> {
    let next: TlsService['material'];
    try {
      next = await this.load();
    } catch (err) {
      this.opts.log.error({ err: isRumahError(err) ? err.message : err }, 'TLS certificate not reloaded; still serving the previous one');
      return false;
    }
    const same = next.certPem === this.material.certPem && next.keyPem === this.material.keyPem && next.clientCaPem === this.material.clientCaPem;
    if (same) return false;
    this.material = next;
    this.opts.log.info({ serialNumber: next.info.serialNumber, validTo: next.info.validTo }, 'TLS certificate reloaded; new connections use it');
    for (const listener of this.listeners) listener(this.secureContext, next.info);
    return true;
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    clearInterval(this.renewTimer);
  }

  private userFiles(): string[] {
    const { config, dataDir } = this.opts;
    return [config.certFile, config.keyFile, config.clientCaFile].filter((f): f is string => !!f).map((f) => resolveIn(dataDir, f));
  }

  private async load(): Promise<TlsService['material']> {
    const { config, dataDir, bind, log } = this.opts;
    const now = this.now();
    const files = localFiles(dataDir);
    let certPem: string;
    let keyPem: string;
    let caPem: string | undefined;
    if (config.certFile && config.keyFile) {
      const user = loadUserCertificate(resolveIn(dataDir, config.certFile), resolveIn(dataDir, config.keyFile), now);
      ({ certPem, keyPem } = user);
      const left = daysLeft(user.leaf, now);
      if (left < renewBeforeDays) log.warn({ subject: oneLine(user.leaf.subject), validTo: user.leaf.validTo, daysLeft: Math.floor(left) }, 'the TLS certificate expires soon; renew it (the hub reloads the file when it changes)');
    } else {
      const ca = await ensureAuthority(files, now);
      if (ca.created) log.info({ file: files.caCert }, 'created the hub\'s local certification authority');
      const server = await ensureServerCertificate(files, ca, hostNames(config.hostnames, bind), os.hostname(), now);
      if (server.renewed) log.info({ file: files.serverCert, why: server.why }, 'issued a new server certificate from the local CA');
      ({ certPem, keyPem } = server);
      caPem = ca.certPem;
    }
    let clientCaPem: string | undefined;
    if (config.clientCertificates) {
      if (config.clientCaFile) {
        const file = resolveIn(dataDir, config.clientCaFile);
        clientCaPem = readRequired(file, 'tls.clientCaFile');
        if (splitPem(clientCaPem).length === 0) throw new RumahError(ErrorCodes.TLS_CERT, `tls.clientCaFile ${file} holds no PEM certificate`, { file, reason: 'not-a-certificate' });
      } else {
        // Client certificates from `devices cert NAME` are signed by the local CA, even when the server
        // certificate is the user's own.
        clientCaPem = caPem ?? (await ensureAuthority(files, now)).certPem;
      }
    }
    const leaf = new crypto.X509Certificate(splitPem(certPem)[0]!);
    return {
      certPem, keyPem, clientCaPem,
      info: {
        source: caPem ? 'generated' : 'user', fingerprint256: leaf.fingerprint256, serialNumber: leaf.serialNumber, validTo: leaf.validTo,
        ...(caPem ? { caPem, caFingerprint256: fingerprint256(caPem) } : {}),
      },
    };
  }
}
