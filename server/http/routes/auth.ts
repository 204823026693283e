import { Router } from 'express';
import * as z from 'zod';
import type { AuthApi } from '../../api/auth.js';
import { sessionCookie, sessionToken } from '../auth-middleware.js';
import { parseBody } from '../validate.js';

const loginBody = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) });
const setupBody = loginBody.extend({ code: z.string().min(1).max(128), password: z.string().min(8).max(1024) });

export interface AuthRouteHooks {
  /** True on first run (no user yet): the dashboard shows its setup page. */
  setupRequired?: () => Promise<boolean>;
  /** A session was ended by logout: live sockets opened with it close too. */
  sessionEnded?: (token: string) => void;
}

export function authRoutes(auth: AuthApi, secureCookies: boolean, hooks: AuthRouteHooks = {}): Router {
  const router = Router();
  const cookie = { httpOnly: true, sameSite: 'strict' as const, secure: secureCookies, path: '/', maxAge: 30 * 24 * 3600 * 1000 };

  router.post('/login', async (req, res) => {
    const body = parseBody(loginBody, req.body);
    const { token, principal } = await auth.login(body.username, body.password, req.socket.remoteAddress);
    res.cookie(sessionCookie, token, cookie).json({ user: { username: principal.username, role: principal.role } });
  });

  router.post('/setup', async (req, res) => {
    const body = parseBody(setupBody, req.body);
    await auth.setup(body.code, body.username, body.password);
    const { token, principal } = await auth.login(body.username, body.password, req.socket.remoteAddress);
    res.status(201).cookie(sessionCookie, token, cookie).json({ user: { username: principal.username, role: principal.role } });
  });

  router.post('/logout', async (req, res) => {
    const token = sessionToken(req);
    if (token) {
      await auth.logout(token);
      hooks.sessionEnded?.(token);
    }
    res.clearCookie(sessionCookie, { path: '/' }).json({ ok: true });
  });

  // Unauthenticated on purpose: the login page must know whether to offer first-run setup instead.
  router.get('/status', async (_req, res) => {
    res.json({ setupRequired: (await hooks.setupRequired?.()) ?? false });
  });

  router.get('/me', async (req, res) => {
    const principal = await auth.fromSession(sessionToken(req));
    if (!principal) return void res.status(401).json({ error: { code: 'RUMAH_ERR_UNAUTHORIZED', message: 'not logged in' } });
    res.json({ user: { username: principal.username, role: principal.role } });
  });
  return router;
}
