import { Router } from 'express';
import * as z from 'zod';
import type { DeviceAdminApi } from '../../api/device-admin.js';
import type { DevicesApi } from '../../api/devices.js';
import { DEFAULT_BUCKETS, DEFAULT_RAW_LIMIT, MAX_SPAN_MS } from '../../api/history-view.js';
import { requireRole } from '../auth-middleware.js';
import { parseBody } from '../validate.js';

// Times are ms since the epoch; from <= to; a longer range than MAX_SPAN_MS (10 years) starts MAX_SPAN_MS before `to`
// (the answer says which `from` it used), so `from=0` still means "everything kept". `limit` raw changes at most,
// past it the answer is `buckets` buckets at most (server/api/history-view.ts).
const MAX_TS = 8.64e15;
const historyQuery = z.object({
  property: z.string().min(1).max(256),
  from: z.coerce.number().int().min(0).max(MAX_TS).optional(),
  to: z.coerce.number().int().min(0).max(MAX_TS).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  buckets: z.coerce.number().int().min(10).max(5000).optional(),
}).transform((q, ctx) => {
  const to = q.to ?? Date.now();
  const from = q.from ?? 0;
  if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: `from (${from}) is after to (${to})` });
  return { ...q, from: Math.max(from, to - MAX_SPAN_MS), to };
});
const commandBody = z.object({ property: z.string().min(1).max(256), value: z.unknown() });
const area = z.string().max(128).nullable().optional();
const patchBody = z.strictObject({
  name: z.string().min(1).max(128).optional(), floor: area, room: area,
  /** Seconds (a year at most; 0: never stale), null: automatic. */
  staleAfter: z.number().max(31_536_000).refine((v) => v === 0 || v >= 1, 'must be 0 (never stale) or at least 1 second').nullable().optional(),
  /** An area picked from GET /api/areas (null: none): replaces floor and room. */
  areaId: z.number().int().min(1).nullable().optional(),
  /** true: the hub ignores the device's reports and refuses commands to it; false: enabled again. */
  disabled: z.boolean().optional(),
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
    const view = await devices.chart(req.params.id, q.property, { from: q.from, to: q.to, limit: q.limit ?? DEFAULT_RAW_LIMIT, buckets: q.buckets ?? DEFAULT_BUCKETS });
    res.json({ deviceId: req.params.id, property: q.property, ...view });
  });
  router.post('/:id/command', async (req, res) => {
    const body = parseBody(commandBody, req.body);
    const sent = await devices.command(req.params.id, body.property, body.value, { kind: 'user', id: req.principal?.username });
    res.status(202).json({ ok: true, pending: true, ...sent });
  });
  router.patch('/:id', requireRole('admin'), async (req, res) => {
    const device = await admin.update(String(req.params.id), parseBody(patchBody, req.body));
    res.json({ device: devices.get(device.id) });
  });
  router.delete('/:id', requireRole('admin'), (req, res) => {
    admin.remove(String(req.params.id));
    res.json({ ok: true });
  });
  return router;
}
