import { hasLegacySalt, resalted } from './passwords.js';
import { scryptPool } from './scrypt-pool.js';
import type { VerifiedCache } from './verified-cache.js';

/** Pending rewrites at most: past it, an account waits for a later login. */
const maxPending = 1_000;

/**
 * Rewrites a hash stored with a 16-byte salt (before 2026-12-07) with a 32-byte one after a login proved its
 * password, so that its next check runs on libsodium's faster scrypt (scrypt-kdf.ts): what a house's devices
 * stored before keeps the restart storm slow until then. Same parameters, same password: nothing else changes.
 *
 * It costs one more hash, so it waits `delayMs` after the login, then takes its turn among the rewrites (one at a
 * time, so that a house's devices coming back together are all rewritten, one after another), and runs only if no
 * login's hash is in progress then: in a reconnect storm it gives way, and the account is rewritten at a later, quiet
 * login (cached logins count, since the password is proven either way). A password is kept in memory for that delay
 * and its turn only, never to wait for a quiet moment.
 */
export class Resalt {
  readonly #pending = new Set<string>();
  #turns: Promise<void> = Promise.resolve();
  /** Rewrites done (tests read it). */
  done = 0;

  /**
   * @param save writes `next` in place of `stored` for `name` only if the row still holds `stored` (a password
   *   changed meanwhile wins), and tells whether it did.
   */
  constructor(
    private readonly verified: VerifiedCache,
    private readonly save: (name: string, stored: string, next: string) => Promise<boolean>,
    private readonly delayMs = 1_000,
  ) {}

  /** After a login proved `password` for `name` against `stored`. */
  offer(name: string, stored: string, password: string): void {
    if (this.#pending.has(name) || this.#pending.size >= maxPending || !hasLegacySalt(stored)) return;
    this.#pending.add(name);
    setTimeout(() => {
      this.#turns = this.#turns
        .then(() => this.#rewrite(name, stored, password))
        // Best effort (the database closed with the hub, say): the next quiet login tries again.
        .catch(() => undefined)
        .finally(() => this.#pending.delete(name));
    }, this.delayMs).unref();
  }

  async #rewrite(name: string, stored: string, password: string): Promise<void> {
    // The previous rewrite's hash has ended: a hash in progress now is a login's.
    if (!scryptPool.idle) return;
    const next = await resalted(password, stored);
    // Remembered before it is written: a login that reads the new row meanwhile finds its password verified.
    this.verified.remember(name, next, password);
    if (await this.save(name, stored, next)) this.done++;
    else this.verified.forget(name);
  }
}
