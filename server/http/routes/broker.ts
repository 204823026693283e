import { Router } from 'express';
import type { BrokerApi } from '../../api/broker.js';
import { ErrorCodes, RumahError } from '../../core/errors.js';

/** Admin only (mounted behind requireAuth(auth, 'admin')): topics and payloads may be private. */
export function brokerRoutes(broker: BrokerApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json(broker.view()));
  // Outbound bridges (docs/bridges.md): list, create or replace (the body's name must be the path's), delete.
  const admin = () => {
    const a = broker.bridgesAdmin;
    if (!a) throw new RumahError(ErrorCodes.NOT_FOUND, 'outbound bridges are not running');
    return a;
  };
  router.get('/bridges', (_req, res) => void res.json(admin().list()));
  router.put('/bridges/:name', async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RumahError(ErrorCodes.BAD_REQUEST, 'a JSON object describing the bridge');
    res.json(await admin().save({ ...body, name: req.params.name }));
  });
  router.delete('/bridges/:name', async (req, res) => {
    await admin().remove(req.params.name);
    res.json({ ok: true });
  });
  return router;
}
