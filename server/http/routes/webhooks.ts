import express, { Router } from 'express';
import { ErrorCodes } from '../../core/errors.js';
import type { Webhooks } from '../../../rules/engine/webhooks.js';

/** A webhook body is a small event, not an upload: 64 KiB, like an MQTT state payload's bound. */
export const webhookBodyLimit = 64 * 1024;

/**
 * `POST /api/webhooks/:id` for rules' webhook triggers. Public (no dashboard session: other systems call it), so
 * mounted before the session and JSON middleware; the hook's secret is the credential (rules/engine/webhooks.ts).
 * The raw body is kept: a signature covers the bytes as sent.
 */
export function webhookRoutes(webhooks: Pick<Webhooks, 'receive'>): Router {
  const router = Router();
  router.post('/:id', express.raw({ type: () => true, limit: webhookBodyLimit }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const outcome = webhooks.receive(String(req.params.id), req.headers, { body, contentType: req.headers['content-type'] });
    if (outcome.status === 202) return void res.status(202).json({ fired: outcome.fired });
    const code = outcome.status === 404 ? ErrorCodes.NOT_FOUND : ErrorCodes.UNAUTHORIZED;
    res.status(outcome.status).json({ error: { code, message: outcome.message } });
  });
  return router;
}
