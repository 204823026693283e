import { Router } from 'express';
import * as z from 'zod';
import { parseBody } from '../http/validate.js';
import { logbookCauses, logbookPage } from '../realtime/protocol.js';
import type { Logbook } from './logbook.js';

// GET /api/logbook?before=&limit=&area=&device=&cause= (members may read, all but logins and pairing;
// docs/dashboard.md#logbook). Every
// parameter is validated: a bad one is a 400 naming it, never a query that scans the table or a limit without end.
const query = z.strictObject({
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(logbookPage.maxLimit).default(logbookPage.defaultLimit),
  area: z.string().min(1).max(257).optional(),
  device: z.string().min(1).max(256).optional(),
  cause: z.enum(logbookCauses).optional(),
});

export function logbookRoutes(logbook: Logbook): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    // A parameter given twice (?cause=a&cause=b) arrives as an array: refused by the schema, as it should be.
    const q = parseBody(query, req.query);
    res.json(await logbook.query({ ...q, admin: req.principal?.role === 'admin' }));
  });
  return router;
}
