// Webhook endpoints of `webhook` triggers: `POST /api/webhooks/<webhook_id>`. A trigger registers its id and
// secret through its context while its rule is loaded (as Home Assistant's webhook trigger does with
// async_register); the HTTP route only translates (server/http/routes/webhooks.ts).
//
// A caller proves it knows the secret one of two ways:
// - `Authorization: Bearer <secret>` — what simple senders (curl, IFTTT, a phone shortcut) can do; use it over TLS;
// - signed: `X-Rumah-Timestamp` + `X-Rumah-Signature` (webhook-signature.ts); a timestamp more than 5 minutes off
//   is refused, and so is a signature already used (kept for those 5 minutes): a captured request cannot be
//   replayed.
import { sameSecret, signature, signatureHeader, signatureToleranceSeconds, timestampHeader } from './webhook-signature.js';

export interface WebhookCall {
  /** The raw body (at most the route's limit) and its content type. */
  body: Buffer;
  contentType?: string;
}

export type WebhookHandler = (call: WebhookCall) => void;

export type WebhookOutcome =
  | { status: 202; fired: number }
  | { status: 401 | 404; message: string };

interface Hook {
  secret: string;
  handlers: Set<WebhookHandler>;
}

const maxRememberedSignatures = 10_000;

export class Webhooks {
  private readonly hooks = new Map<string, Hook>();
  /** Signatures used in the last tolerance window, with when they may be forgotten (ms). */
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Registers a handler for `id`. Two triggers may share an id only with the same secret (a second secret would
   * make either one enough for both); undefined then, and the trigger reports the problem.
   */
  register(id: string, secret: string, handler: WebhookHandler): (() => void) | undefined {
    let hook = this.hooks.get(id);
    if (hook && !sameSecret(hook.secret, secret)) return undefined;
    if (!hook) {
      hook = { secret, handlers: new Set() };
      this.hooks.set(id, hook);
    }
    hook.handlers.add(handler);
    const registered = hook;
    return () => {
      registered.handlers.delete(handler);
      if (registered.handlers.size === 0 && this.hooks.get(id) === registered) this.hooks.delete(id);
    };
  }

  has(id: string): boolean {
    return this.hooks.has(id);
  }

  receive(id: string, headers: Record<string, string | string[] | undefined>, call: WebhookCall): WebhookOutcome {
    const hook = this.hooks.get(id);
    // 404 for an unknown id: ids are not secrets, and it tells the owner the rule is not loaded; the secret is
    // what guards a hook.
    if (!hook) return { status: 404, message: `no loaded rule has a webhook trigger with webhook_id "${id}"` };
    const refused = this.authenticate(hook, headers, call.body);
    if (refused) return { status: 401, message: refused };
    let fired = 0;
    for (const handler of [...hook.handlers]) {
      handler(call);
      fired++;
    }
    return { status: 202, fired };
  }

  private authenticate(hook: Hook, headers: Record<string, string | string[] | undefined>, body: Buffer): string | undefined {
    const auth = one(headers.authorization);
    if (auth !== undefined && /^Bearer /i.test(auth)) return sameSecret(auth.slice(7).trim(), hook.secret) ? undefined : 'wrong secret';
    const ts = one(headers[timestampHeader]);
    const sig = one(headers[signatureHeader]);
    if (ts === undefined || sig === undefined) return 'send the secret as "Authorization: Bearer <secret>", or sign the body (X-Rumah-Timestamp and X-Rumah-Signature; docs/rules.md)';
    const seconds = Number(ts);
    const nowMs = this.now();
    if (!/^\d{1,12}$/.test(ts) || Math.abs(nowMs / 1000 - seconds) > signatureToleranceSeconds) return `X-Rumah-Timestamp is not within ${signatureToleranceSeconds} s of the hub's clock (a replay, or a clock to set)`;
    if (!sameSecret(sig, signature(hook.secret, seconds, body))) return 'wrong signature';
    this.forgetOld(nowMs);
    if (this.used.has(sig)) return 'this signature was used already (a replay)';
    if (this.used.size >= maxRememberedSignatures) return 'too many signed calls in the last 5 minutes; try again later';
    this.used.set(sig, nowMs + 2 * signatureToleranceSeconds * 1000);
    return undefined;
  }

  private forgetOld(nowMs: number): void {
    for (const [sig, until] of this.used) {
      if (until > nowMs) break; // inserted in time order
      this.used.delete(sig);
    }
  }
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
