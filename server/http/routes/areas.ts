import { Router } from 'express';
import * as z from 'zod';
import { maxAreaName, type AreasApi } from '../../api/areas.js';
import { maxBulkIds, type DeviceBulkApi } from '../../api/device-bulk.js';
import { requireRole } from '../auth-middleware.js';
import { parseBody } from '../validate.js';

const name = z.string().min(1).max(maxAreaName);
const areaId = z.number().int().min(1);
const createBody = z.strictObject({ kind: z.enum(['floor', 'room']), name, floorId: areaId.optional() });
const patchBody = z.strictObject({ name: name.optional(), position: z.number().int().min(0).max(10_000).optional(), floorId: areaId.optional() });
const idParam = z.coerce.number().int().min(1);
const ids = z.array(z.string().min(1).max(256)).min(1).max(maxBulkIds, `at most ${maxBulkIds} ids per request; send the rest in another`);
const bulkBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('move'), ids, areaId: areaId.nullable() }),
  z.strictObject({ action: z.literal('forget'), ids }),
  z.strictObject({ action: z.literal('disable'), ids }),
  z.strictObject({ action: z.literal('enable'), ids }),
]);

/** /api/areas: everyone logged in reads (the home page groups by them); admins change. */
export function areaRoutes(areas: AreasApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json({ areas: areas.list() }));
  router.post('/', requireRole('admin'), async (req, res) => {
    const body = parseBody(createBody, req.body);
    res.status(201).json({ area: await areas.create(body.kind, body.name, body.floorId) });
  });
  router.patch('/:id', requireRole('admin'), async (req, res) => {
    const id = parseBody(idParam, req.params.id);
    res.json({ area: await areas.update(id, parseBody(patchBody, req.body)) });
  });
  router.delete('/:id', requireRole('admin'), async (req, res) => {
    const id = parseBody(idParam, req.params.id);
    res.json({ ok: true, ...(await areas.remove(id)) });
  });
  return router;
}

/** POST /api/devices/bulk (admins, mounted with requireAuth(…, 'admin')): move, forget, disable or enable up to maxBulkIds devices. */
export function deviceBulkRoutes(bulk: DeviceBulkApi): Router {
  const router = Router();
  router.post('/', (req, res) => {
    const body = parseBody(bulkBody, req.body);
    const result = body.action === 'move' ? bulk.move(body.ids, body.areaId)
      : body.action === 'forget' ? bulk.forget(body.ids)
        : bulk.setDisabled(body.ids, body.action === 'disable');
    res.json({ ok: true, ...result });
  });
  return router;
}
