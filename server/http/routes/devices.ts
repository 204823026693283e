import { Router } from 'express';
import { z } from 'zod';
import type { DeviceAdminApi } from '../../api/device-admin.js';
import type { DevicesApi } from '../../api/devices.js';
import { requireRole } from '../auth-middleware.js';
import { parseBody } from '../validate.js';

const historyQuery = z.object({
  property: z.string().min(1),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});
const commandBody = z.object({ property: z.string().min(1).max(256), value: z.unknown() });
const area = z.string().max(128).nullable().optional();
const patchBody = z.strictObject({
  name: z.string().min(1).max(128).optional(), floor: area, room: area,
  /** Seconds (a year at most; 0: never stale), null: automatic. */
  staleAfter: z.number().max(31_536_000).refine((v) => v === 0 || v >= 1, 'must be 0 (never stale) or at least 1 second').nullable().optional(),
});

/** Routes only translate HTTP to the devices API. */
export function deviceRoutes(devices: DevicesApi, admin: DeviceAdminApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json({ devices: devices.list() }));
  router.get('/:id', (req, res) => void res.json({ device: devices.get(req.params.id) }));
  router.get('/:id/messages', (req, res) => void res.json({ messages: devices.messages(req.params.id as string) }));
  router.get('/:id/staleness', (req, res) => void res.json(admin.staleness(String(req.params.id))));
  router.get('/:id/log', (req, res) => void res.json({ entries: devices.log(req.params.id as string) }));
  router.get('/:id/history', async (req, res) => {
    const q = parseBody(historyQuery, req.query);
    const points = await devices.history(req.params.id, q.property, q.from, q.to, q.limit);
    res.json({ deviceId: req.params.id, property: q.property, points });
  });
  router.post('/:id/command', async (req, res) => {
    const body = parseBody(commandBody, req.body);
    const sent = await devices.command(req.params.id, body.property, body.value, { kind: 'user', id: req.principal?.username });
    res.status(202).json({ ok: true, pending: true, ...sent });
  });
  router.patch('/:id', requireRole('admin'), (req, res) => {
    const device = admin.update(String(req.params.id), parseBody(patchBody, req.body));
    res.json({ device: devices.get(device.id) });
  });
  router.delete('/:id', requireRole('admin'), (req, res) => {
    admin.remove(String(req.params.id));
    res.json({ ok: true });
  });
  return router;
}
