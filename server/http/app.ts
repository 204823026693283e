import express, { type Express } from 'express';
import type { Logger } from '../core/logger.js';
import type { AuthApi } from '../api/auth.js';
import type { DevicesApi } from '../api/devices.js';
import { requireAuth } from './auth-middleware.js';
import { errorHandler } from './errors.js';
import { authRoutes } from './routes/auth.js';
import { deviceRoutes } from './routes/devices.js';
import { opsRoutes, type OpsSource } from './routes/ops.js';

export interface HttpDeps {
  log: Logger;
  auth: AuthApi;
  devices: DevicesApi;
  ops: OpsSource;
  secureCookies: boolean;
}

export function createApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.use(express.json({ limit: '256kb', strict: true }));
  app.use(opsRoutes(deps.ops));
  app.use('/api/auth', authRoutes(deps.auth, deps.secureCookies));
  app.use('/api/devices', requireAuth(deps.auth), deviceRoutes(deps.devices));
  app.use('/api', (_req, res) => void res.status(404).json({ error: { code: 'RUMAH_ERR_NOT_FOUND', message: 'no such API route' } }));
  app.use(errorHandler(deps.log));
  return app;
}
