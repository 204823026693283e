import { Router } from 'express';
import * as z from 'zod';
import type { UsersApi } from '../../api/users.js';
import { parseBody } from '../validate.js';

const role = z.enum(['admin', 'member']);
const createBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(8).max(1024), role });
const patchBody = z.strictObject({ role: role.optional(), password: z.string().min(8).max(1024).optional() });

/** Admin only (mounted behind requireAuth(auth, 'admin')); routes only translate to the users API. */
export function userRoutes(users: UsersApi): Router {
  const router = Router();
  router.get('/', async (_req, res) => void res.json({ users: await users.list() }));
  router.post('/', async (req, res) => {
    const body = parseBody(createBody, req.body);
    res.status(201).json({ user: await users.create(body.username, body.password, body.role) });
  });
  router.patch('/:username', async (req, res) => {
    const body = parseBody(patchBody, req.body);
    if (body.password) await users.setPassword(req.params.username, body.password);
    if (body.role) await users.setRole(req.params.username, body.role, req.principal!.username);
    res.json({ ok: true });
  });
  router.delete('/:username', async (req, res) => {
    await users.remove(req.params.username, req.principal!.username);
    res.json({ ok: true });
  });
  return router;
}
