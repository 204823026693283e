import type { ErrorRequestHandler } from 'express';
import { ErrorCodes, isRumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** Every error becomes `{error: {code, message}}`: 4xx for the caller's mistakes, 500 (logged) for ours. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (isRumahError(err)) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status < 500) {
      // body-parser: malformed JSON (400), body too large (413), wrong charset (415)...
      res.status(status).json({ error: { code: ErrorCodes.BAD_REQUEST, message: err.expose ? err.message : 'bad request' } });
      return;
    }
    log.error({ err, method: req.method, url: req.url }, 'request failed');
    res.status(500).json({ error: { code: 'RUMAH_ERR_INTERNAL', message: 'internal error; see the hub log' } });
  };
}
