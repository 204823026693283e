import type { IncomingMessage } from 'node:http';
import { parse as parseCookie } from 'cookie';
import type { Socket } from 'socket.io';
import type { AuthApi, Principal } from '../api/auth.js';
import { ErrorCodes } from '../core/errors.js';
import { sessionCookie } from '../http/auth-middleware.js';
import type { ConnectErrorData } from './protocol.js';

/** What the server keeps about each socket: who it is, checked again from time to time. */
export interface SocketData {
  principal: Principal;
}

/**
 * Refuses handshakes from another origin before any session exists: a page on another site could otherwise open
 * a socket with the user's cookie (cross-site WebSocket hijacking; SameSite=Strict already stops the cookie in
 * current browsers, this is the second lock). Clients without an Origin header (scripts, tests) are not browsers
 * acting for someone else, and still need a session or a token below.
 */
export function sameOrigin(req: IncomingMessage, fn: (err: string | null | undefined, ok: boolean) => void): void {
  const origin = req.headers.origin;
  if (!origin) return fn(null, true);
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return fn('bad origin', false);
  }
  fn(host === req.headers.host ? null : 'cross-origin socket refused', host === req.headers.host);
}

/**
 * socket.io middleware: the session cookie (browsers), or an API token as `auth: {token}` or an
 * `Authorization: Bearer` header (scripts). Anything else is refused with a connect_error whose data carries
 * RUMAH_ERR_UNAUTHORIZED, which the dashboard answers by showing the login page.
 */
export function authenticateSocket(auth: AuthApi, remember: (socket: Socket, credential: { session: string } | { token: string }) => void) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    const { headers } = socket.handshake;
    const handshakeToken = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const bearer = typeof handshakeToken === 'string' ? handshakeToken
      : headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7).trim() : undefined;
    const session = headers.cookie ? parseCookie(headers.cookie)[sessionCookie] : undefined;
    const found: Promise<Principal | undefined> = bearer ? auth.fromToken(bearer) : auth.fromSession(session);
    found.then(
      (principal) => {
        if (!principal) return next(refusal(ErrorCodes.UNAUTHORIZED, 'log in first: no valid session cookie or API token'));
        if (principal.scope === 'metrics') return next(refusal(ErrorCodes.FORBIDDEN, 'this API token may only read /metrics (scope metrics)'));
        const data: SocketData = { principal };
        socket.data = data;
        if (bearer) remember(socket, { token: bearer });
        else if (session) remember(socket, { session });
        next();
      },
      (err: Error) => next(refusal('RUMAH_ERR_INTERNAL', `cannot check the session: ${err.message}`)),
    );
  };
}

function refusal(code: string, message: string): Error {
  const err = new Error(message) as Error & { data: ConnectErrorData };
  err.data = { code };
  return err;
}
