import net from 'node:net';
import type http from 'node:http';
import type { RequestHandler } from 'express';
import { hostNames } from '../tls/names.js';

/**
 * DNS rebinding: a page on attacker.example whose name is made to resolve to the hub's LAN address talks to the hub
 * from the user's own browser, as same-origin for the browser — login, first-run setup and `/mqtt` were reachable that
 * way. Such a request still carries the attacker's name in its Host header. So the hub answers only the names it
 * has: its host name (and `.local`), `localhost`, the names in `tls.hostnames` and `http.allowedHosts`, and any IP
 * address (rebinding needs a name). Anything else gets 421 with what to add.
 */
export class HostCheck {
  private readonly names: Set<string>;

  constructor(extra: readonly string[], bind: string) {
    this.names = new Set(hostNames(extra, bind).dns);
  }

  /** Whether a Host header names this hub. A request without one (HTTP/1.0, some scripts) is let through. */
  allows(host: string | undefined): boolean {
    if (host === undefined || host === '') return true;
    const name = hostOnly(host).toLowerCase();
    if (net.isIP(name)) return true;
    return this.names.has(name) || name.endsWith('.localhost');
  }

  /** Whether a browser's Origin is this very host (or absent: not a browser acting for a page elsewhere). */
  sameOrigin(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.allows(req.headers.host)) return next();
      res.status(421).json({
        error: {
          code: 'RUMAH_ERR_MISDIRECTED',
          message: `this hub does not answer to the name "${hostOnly(req.headers.host ?? '')}". If it is one of its names, add it to http.allowedHosts in <data>/rumah.yaml and restart`,
        },
      });
    };
  }
}

/** The host part of a Host header: `hub.local:8080` → `hub.local`, `[::1]:8080` → `::1`. */
function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}
