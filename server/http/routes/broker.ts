import { Router } from 'express';
import type { BrokerApi } from '../../api/broker.js';

/** Admin only (mounted behind requireAuth(auth, 'admin')): topics and payloads may be private. */
export function brokerRoutes(broker: BrokerApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json(broker.view()));
  return router;
}
