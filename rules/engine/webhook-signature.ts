// One signature for webhooks both ways: rumah signs what its `notify` action POSTs, and checks what callers POST to
// a `webhook` trigger. `X-Rumah-Timestamp` (Unix seconds) and `X-Rumah-Signature: sha256=<hex HMAC-SHA256 of
// "<timestamp>.<raw body>" under the shared secret>` — the scheme Stripe and GitHub made familiar: the timestamp
// is signed with the body, so a captured request cannot be replayed later with a new timestamp.
import crypto from 'node:crypto';

export const timestampHeader = 'x-rumah-timestamp';
export const signatureHeader = 'x-rumah-signature';
/** How far a signed request's timestamp may be from the hub's clock (either way). */
export const signatureToleranceSeconds = 300;

export function signature(secret: string, timestamp: number, body: Buffer | string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** The headers a signed POST carries. */
export function signedHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'X-Rumah-Timestamp': String(timestamp), 'X-Rumah-Signature': signature(secret, timestamp, body) };
}

/** Constant-time comparison of two header values (different lengths are simply unequal). */
export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y) && a.length === b.length;
}
