import type { Request, RequestHandler } from 'express';
import { parse as parseCookie } from 'cookie';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { AuthApi, Principal, Role } from '../api/auth.js';

export const sessionCookie = 'rumah_session';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export function sessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  return header ? parseCookie(header)[sessionCookie] : undefined;
}

/**
 * Authenticates by `Authorization: Bearer <token>` or the session cookie; refuses with 401 otherwise. A token is
 * held to its scope: `metrics` reaches only what is marked for it (GET /metrics), `read` only reads.
 */
export function requireAuth(auth: AuthApi, role: Role = 'member', opts: { metrics?: boolean } = {}): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    const principal = header?.startsWith('Bearer ')
      ? await auth.fromToken(header.slice(7).trim())
      : await auth.fromSession(sessionToken(req));
    if (!principal) throw new RumahError(ErrorCodes.UNAUTHORIZED, 'log in first (POST /api/auth/login) or send an API token as "Authorization: Bearer <token>"');
    if (principal.scope === 'metrics' && !opts.metrics) throw new RumahError(ErrorCodes.FORBIDDEN, 'this API token may only read /metrics (scope metrics)');
    if (principal.scope === 'read' && !['GET', 'HEAD'].includes(req.method)) throw new RumahError(ErrorCodes.FORBIDDEN, 'this API token may only read (scope read)');
    if (role === 'admin' && principal.role !== 'admin') throw new RumahError(ErrorCodes.FORBIDDEN, 'this needs an admin');
    // Cookie-authenticated writes must be JSON: a cross-site form cannot send that without a CORS preflight,
    // which we never grant, so this (with SameSite=Strict) is the CSRF protection.
    // DELETE is exempt: an HTML form cannot send it, and a cross-site fetch of it needs the preflight too.
    if (principal.via === 'session' && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
      throw new RumahError(ErrorCodes.FORBIDDEN, 'state-changing requests must send Content-Type: application/json');
    }
    req.principal = principal;
    next();
  };
}

/** After requireAuth: refuses a principal below `role` (members may control devices, not administer). */
export function requireRole(role: Role): RequestHandler {
  return (req, _res, next) => {
    if (role === 'admin' && req.principal?.role !== 'admin') throw new RumahError(ErrorCodes.FORBIDDEN, 'this needs an admin');
    next();
  };
}
