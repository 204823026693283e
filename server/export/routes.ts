import { Router } from 'express';
import * as z from 'zod';
import { parseBody } from '../http/validate.js';

export interface ExportSettingsSource {
  haDiscovery(): { enabled: boolean };
  setHaDiscovery(enabled: boolean): Promise<{ enabled: boolean }>;
}

const body = z.object({ enabled: z.boolean() }).strict();

/**
 * Admin only (mounted under /api/settings). The dashboard has no settings page yet, so the switch is here and in
 * the README: `PUT /api/settings/ha-discovery {"enabled": true}`. It is kept in the database and wins over
 * exports.homeassistant.enabled in rumah.yaml from then on.
 */
export function exportSettingsRoutes(source: ExportSettingsSource): Router {
  const router = Router();
  router.get('/ha-discovery', (_req, res) => void res.json(source.haDiscovery()));
  router.put('/ha-discovery', async (req, res) => {
    const { enabled } = parseBody(body, req.body);
    res.json(await source.setHaDiscovery(enabled));
  });
  return router;
}
