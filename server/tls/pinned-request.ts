import http from 'node:http';
import tls from 'node:tls';
import { ErrorCodes, RumahError } from '../core/errors.js';

export interface PinnedRequest {
  host: string;
  port: number;
  /** The SHA-256 fingerprint the running hub wrote to runtime.json: only that certificate is accepted. */
  fingerprint256: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * One HTTPS request to the hub on this machine, trusting exactly the certificate the hub says it serves. The CLI
 * cannot use the usual CA check: a certificate of the user's may be for a public name, not 127.0.0.1, and its CA may
 * be anywhere. Pinning the fingerprint from runtime.json (written by the hub, in the data dir the CLI already
 * reads) is stricter than any CA. The TLS connection is made and checked first; only then is the request (with its
 * API token) written to it.
 */
export function pinnedRequest(req: PinnedRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: req.host, port: req.port, rejectUnauthorized: false, ...(isName(req.host) ? { servername: req.host } : {}) });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const seen = socket.getPeerX509Certificate()?.fingerprint256;
      if (seen !== req.fingerprint256) {
        socket.destroy();
        return reject(new RumahError(ErrorCodes.FORBIDDEN, `the server on ${req.host}:${req.port} is not the hub that wrote runtime.json (certificate ${seen ?? 'none'}, expected ${req.fingerprint256})`));
      }
      const request = http.request({ method: req.method, path: req.path, headers: { ...req.headers, host: `${req.host}:${req.port}` }, createConnection: () => socket }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      request.on('error', reject);
      request.end(req.body);
    });
  });
}

function isName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.includes(':');
}
