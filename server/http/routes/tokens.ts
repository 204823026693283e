import { Router } from 'express';
import { ErrorCodes, RumahError } from '../../core/errors.js';

export interface TokensSource {
  /** Deletes the token and closes the sockets opened with it; false when there was none by that name. */
  revoke(name: string): Promise<boolean>;
}

/**
 * Admin only. `rumah tokens revoke NAME` calls this on the running hub, so a socket.io connection opened with the
 * token closes at once instead of carrying deltas and commands until the next revalidation.
 */
export function tokenRoutes(tokens: TokensSource): Router {
  const router = Router();
  router.delete('/:name', async (req, res) => {
    if (!(await tokens.revoke(req.params.name))) throw new RumahError(ErrorCodes.NOT_FOUND, `no API token named "${req.params.name}"`);
    res.json({ ok: true });
  });
  return router;
}
