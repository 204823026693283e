import { Router } from 'express';
import * as z from 'zod';
import type { MqttSnBindingsApi } from '../../mqttsn/bindings-api.js';
import { parseBody } from '../validate.js';

// Shapes only; what a client id and an address may be is checked by the API (bindings-repo.ts), as for the CLI.
const bindBody = z.object({
  clientId: z.string().min(1).max(23),
  account: z.string().min(1).max(64),
  addresses: z.array(z.string().min(1).max(45)).max(16).optional(),
}).strict();

/** MQTT-SN client bindings (docs/mqttsn.md); admin only (mounted behind requireAuth(auth, 'admin')). */
export function mqttsnRoutes(bindings: MqttSnBindingsApi): Router {
  const router = Router();
  router.get('/clients', async (_req, res) => void res.json(await bindings.list()));
  router.post('/clients', async (req, res) => {
    const body = parseBody(bindBody, req.body);
    res.status(201).json({ binding: await bindings.bind(body.clientId, body.account, body.addresses) });
  });
  router.delete('/clients/:clientId', async (req, res) => void res.json(await bindings.unbind(req.params.clientId as string)));
  return router;
}
