import { Router } from 'express';

/**
 * GET /ca.crt: the hub's local CA certificate, unauthenticated on purpose — it is public, and a device or browser
 * needs it before it can trust anything else the hub says. The content type makes browsers and phones offer to
 * install it; whoever installs it should compare the SHA-256 fingerprint with the one the hub printed at start.
 * Absent (404) when the hub serves a certificate of the user's instead: its CA is wherever that came from.
 */
export function caRoutes(caPem: () => string | undefined): Router {
  const router = Router();
  router.get('/ca.crt', (_req, res) => {
    const pem = caPem();
    if (!pem) return void res.status(404).json({ error: { code: 'RUMAH_ERR_NOT_FOUND', message: 'this hub has no local CA: TLS is off, or it uses a certificate you gave it (tls.certFile)' } });
    // A Buffer, so express adds no charset: some phones only offer to install the exact type.
    res.set('Content-Type', 'application/x-x509-ca-cert').attachment('rumah-ca.crt').send(Buffer.from(pem));
  });
  return router;
}
