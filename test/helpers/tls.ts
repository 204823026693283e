import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';
import { defaults, type Config } from '../../server/config/schema.js';
import { createAuthority, issue, validity } from '../../server/tls/pki.js';
import { startHub, type TestHub } from './hub.js';

export interface TlsTestHub extends TestHub {
  /** The hub's CA certificate (PEM) and its file in the data dir. */
  ca: string;
  caFile: string;
  mqttsUrl: string;
  httpsUrl: string;
  wssUrl: string;
  tlsPort: number;
  webPort: number;
}

type HubOverrides = Parameters<typeof startHub>[0];

/** startHub with TLS on (MQTT over TLS on a free port) and the CA read back from `<data>/tls/ca.crt`. */
export async function startTlsHub(tlsConfig: Partial<Config['tls']> = {}, overrides: HubOverrides = {}, opts: Parameters<typeof startHub>[1] = {}): Promise<TlsTestHub> {
  const hub = await startHub({ ...overrides, tls: { ...defaults.tls, enabled: true, mqttPort: 0, ...tlsConfig } }, opts);
  const runtime = hub.hub.runtime!;
  const caFile = path.join(hub.dataDir, 'tls', 'ca.crt');
  const webPort = runtime.httpPort;
  return {
    ...hub,
    ca: fs.existsSync(caFile) ? fs.readFileSync(caFile, 'utf8') : '',
    caFile,
    tlsPort: runtime.tls!.mqttPort,
    webPort,
    mqttsUrl: `mqtts://127.0.0.1:${runtime.tls!.mqttPort}`,
    httpsUrl: `https://127.0.0.1:${webPort}`,
    wssUrl: `wss://127.0.0.1:${webPort}/mqtt`,
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over https (with `ca` trusted, or none) or http, by the URL's scheme. */
export function request(url: string, opts: { ca?: string; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}), agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end(opts.body);
  });
}

/** The certificate a TLS server presents now (a new connection each time), trusting `ca`. */
export function presentedCertificate(port: number, ca: string | string[]): Promise<crypto.X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert) resolve(cert);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

/** Runs a program to completion (bounded by `ms`); never rejects: the exit code and output are the answer. */
export function run(cmd: string, args: string[], ms = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: ms }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export interface UserPki {
  caPem: string;
  /** Writes a server certificate for 127.0.0.1/localhost signed by this CA into `dir`; returns the file names. */
  server(dir: string, opts?: { days?: number; expired?: boolean; name?: string }): Promise<{ certFile: string; keyFile: string; serialNumber: string }>;
  client(commonName: string): Promise<{ cert: string; key: string }>;
}

/** A CA of "the user's own" (as if made elsewhere), for user-certificate tests; made with the hub's pki code. */
export async function userPki(): Promise<UserPki> {
  const { notBefore, notAfter } = validity(Date.now(), 3650);
  const ca = await createAuthority('test user CA', notBefore, notAfter);
  return {
    caPem: ca.certPem,
    async server(dir, opts = {}) {
      const window = opts.expired ? { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) } : validity(Date.now(), opts.days ?? 90);
      const made = await issue(ca, { commonName: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'], usage: 'server', ...window });
      const name = opts.name ?? 'user';
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      fs.writeFileSync(certFile, made.certPem);
      fs.writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
      return { certFile, keyFile, serialNumber: new crypto.X509Certificate(made.certPem).serialNumber };
    },
    async client(commonName) {
      const made = await issue(ca, { commonName, usage: 'client', ...validity(Date.now(), 30) });
      return { cert: made.certPem, key: made.keyPem };
    },
  };
}
