import http from 'node:http';
import type { RequestListener } from 'node:http';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { TlsService } from '../tls/service.js';
import { SecureWebServer } from '../tls/web-server.js';
import { connectionsCheckingInterval, limitWebConnections } from './connection-limits.js';

/**
 * The web port's server: HTTPS with plain HTTP on the same port redirected when TLS is on (docs/tls.md; a reloaded
 * certificate is taken without a restart), plain HTTP otherwise; connection limits either way.
 */
export function webServer(app: RequestListener, tls: TlsService | undefined, config: Pick<Config, 'tls' | 'http'>, log: Logger): http.Server {
  let server: http.Server;
  if (tls) {
    const web = new SecureWebServer({ app, secureContext: tls.secureContext, plainHttp: config.tls.plainHttp, caPem: () => tls.info.caPem, log });
    tls.onChange((options) => web.setSecureContext(options));
    server = web;
  } else {
    server = http.createServer({ connectionsCheckingInterval }, app);
  }
  limitWebConnections(server, config.http, log);
  return server;
}
