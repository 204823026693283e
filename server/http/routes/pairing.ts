import { Router } from 'express';
import * as z from 'zod';
import type { PairingApi } from '../../api/pairing.js';
import { parseBody } from '../validate.js';

const openBody = z.object({ seconds: z.number().int().min(1).max(3600) });
const aclBody = z.object({ acl: z.array(z.string().min(1).max(1024)).max(64).optional() });
const accountBody = aclBody.extend({ username: z.string().min(1).max(64) });

/** Admin only (mounted behind requireAuth(auth, 'admin')). */
export function pairingRoutes(pairing: PairingApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json(pairing.state()));
  router.post('/open', (req, res) => void res.json(pairing.open(parseBody(openBody, req.body).seconds)));
  router.post('/close', (_req, res) => void res.json(pairing.close()));
  router.post('/candidates/:username/accept', async (req, res) => {
    res.json({ account: await pairing.accept(req.params.username as string, parseBody(aclBody, req.body).acl) });
  });
  router.post('/candidates/:username/reject', (req, res) => {
    pairing.reject(req.params.username as string);
    res.json({ ok: true });
  });
  return router;
}

export function accountRoutes(pairing: PairingApi): Router {
  const router = Router();
  router.get('/', async (_req, res) => void res.json({ accounts: await pairing.accounts() }));
  router.post('/', async (req, res) => {
    const body = parseBody(accountBody, req.body);
    res.status(201).json(await pairing.createAccount(body.username, body.acl));
  });
  router.get('/:username/log', (req, res) => void res.json({ entries: pairing.accountLog(req.params.username as string) }));
  router.post('/:username/rotate', async (req, res) => void res.json(await pairing.rotate(req.params.username as string)));
  router.delete('/:username', async (req, res) => void res.json(await pairing.revoke(req.params.username as string)));
  return router;
}
