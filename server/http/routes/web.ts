import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';

/**
 * The dashboard's policy: every script and style comes from the hub itself (nothing from a CDN, so it works
 * without internet), no inline script or style, no plugins, no framing, and connections only back to the hub
 * (REST and the socket; 'self' covers ws: and wss: to the same host in CSP Level 3). Device names and payloads are
 * rendered as text by the dashboard; this is the second lock if one ever reached the DOM as markup.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The policy of one page load: style-src also allows <style> elements carrying this load's nonce. The rule editor
 * (CodeMirror 6) writes its layout rules into a <style> element at run time (style-mod), and gives it the nonce
 * through EditorView.cspNonce; the page reads it from `<meta name="rumah-style-nonce">`. Decision (issue 18 item 6):
 * a fresh nonce per load rather than 'unsafe-inline' for styles, so markup that reached the DOM still cannot add
 * styles, and no change for scripts. index.html is never cached, so each load has its own.
 */
export function pagePolicy(nonce: string): string {
  return contentSecurityPolicy.replace("style-src 'self'", `style-src 'self' 'nonce-${nonce}'`);
}

/**
 * The .br or .gz that scripts/build-web.mjs made beside a text asset, when the browser accepts it: the 211 KiB
 * script is 66 KiB in brotli, the rule editor's 391 KiB 110 KiB, on a phone's Wi-Fi. False: send the file as it is.
 */
async function sendCompressed(req: Request, res: Response, assets: string): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const ext = path.extname(req.path);
  if (!compressible.has(ext)) return false;
  // Brotli whenever it is accepted (smaller); browsers list it after gzip, and equal weights keep their order.
  const encoding = req.acceptsEncodings('br') === 'br' ? 'br' : req.acceptsEncodings('gzip') === 'gzip' ? 'gzip' : undefined;
  if (!encoding) return false;
  // Only a plain name in assets/ (hashed names have no slashes): nothing outside the folder can be asked for.
  const name = req.path.slice(1);
  if (!/^[\w.-]+$/.test(name)) return false;
  const file = path.join(assets, `${name}${encoding === 'br' ? '.br' : '.gz'}`);
  try {
    await fs.access(file);
  } catch {
    return false;
  }
  res.set({ 'Content-Encoding': encoding, Vary: 'Accept-Encoding', 'Cache-Control': 'public, max-age=31536000, immutable' }).type(ext);
  res.sendFile(file);
  return true;
}

const compressible = new Set(['.js', '.css', '.svg', '.txt']);

/**
 * Serves the built dashboard (scripts/build-web.mjs writes it to dist/web). Assets have content-hashed names and
 * are cached for a year; index.html is never cached, so a new build reaches browsers on their next load. Any other
 * GET for a page (not /api, not /socket.io, not a file) is the single-page app's: it routes in the browser.
 */
export function webRoutes(webRoot: string): Router {
  const router = Router();
  const security = { 'Content-Security-Policy': contentSecurityPolicy, 'Cross-Origin-Opener-Policy': 'same-origin' };
  const assets = path.join(webRoot, 'assets');
  router.use('/assets', (req, res, next) => {
    res.set(security);
    void sendCompressed(req, res, assets).then((sent) => (sent ? undefined : next()), next);
  }, express.static(assets, { index: false, immutable: true, maxAge: '365d', fallthrough: false }));

  // The installable app (issue 18 item 9): its manifest, and the service worker at the root so that its scope is the
  // whole dashboard. Neither is cached by HTTP: a new build's worker must be found on the next visit.
  for (const [route, file, type] of [['/manifest.webmanifest', 'manifest.webmanifest', 'application/manifest+json'], ['/sw.js', 'sw.js', 'text/javascript']] as const) {
    router.get(route, (_req, res) => {
      res.set({ ...security, 'Cache-Control': 'no-cache' }).type(type).sendFile(path.join(webRoot, file), (err) => {
        if (err && !res.headersSent) res.status(404).type('text/plain').send('The dashboard is not built yet: run `npm run build`.\n');
      });
    });
  }

  // A path with a dot is a file, except a device or rule page: ids may hold dots (`….caaa3edf`, HA unique ids).
  router.get(/^\/(?!api\/|socket\.io\/|mqtt$|assets\/)(?:[^.]*|(?:devices|rules)\/[^/]+)$/, async (req, res, next) => {
    if (!req.accepts('html')) return next();
    let html: string;
    try {
      html = await fs.readFile(path.join(webRoot, 'index.html'), 'utf8');
    } catch {
      res.status(503).type('text/plain').send('The dashboard is not built yet: run `npm run build` (npm start does it), then reload.\n');
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    res.set({ ...security, 'Content-Security-Policy': pagePolicy(nonce), 'Cache-Control': 'no-cache' }).type('html').send(html.replace('%STYLE_NONCE%', nonce));
  });
  return router;
}
