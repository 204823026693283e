import crypto from 'node:crypto';
import { runNow, type HashSlot } from './passwords.js';

const maxEntries = 10_000;

/**
 * Passwords verified before, and verifications in flight, for every kind of login (device accounts, dashboard
 * users and admins logging in over MQTT). scrypt costs tens of milliseconds of a libuv thread, and a reconnect
 * storm — an app fleet with one credential, every device after a power cut — re-ran it at every CONNECT: 10,000
 * clients with one admin credential connected at 41/s.
 *
 * - A success is remembered as an HMAC of the password under a per-process random key, tied to the stored hash:
 *   the next login with the same password costs one HMAC; any change of the stored hash (set, rotate, even from
 *   another process such as the CLI) no longer matches and falls back to scrypt. Failures are never remembered,
 *   so a wrong password always costs a full scrypt (and the login throttle still counts it).
 * - Concurrent checks of the same name, hash and password share one scrypt: the first one's answer is everyone's.
 */
export class VerifiedCache {
  /** A KeyObject, not the raw bytes: createHmac then skips importing the key at every login (3.8 → 2.7 µs). */
  private readonly key = crypto.createSecretKey(crypto.randomBytes(32));
  private readonly verified = new Map<string, { hash: string; mac: Buffer }>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  /** True when `password` was verified before against `hash` (one HMAC). */
  known(name: string, hash: string, password: string): boolean {
    const entry = this.verified.get(name);
    return entry !== undefined && entry.hash === hash && crypto.timingSafeEqual(entry.mac, this.mac(password));
  }

  /**
   * Whether a login that verified `password` against `before` may go on now that the row holds `now`: the same hash,
   * or a new hash of the same password (a resalt, auth/resalt.ts, remembers it before writing it). A password
   * changed meanwhile (set, rotate, the CLI) is neither.
   */
  stillHolds(name: string, before: string, now: string, password: string): boolean {
    return now === before || this.known(name, now, password);
  }

  /** Whether `name` has a remembered success at all (cheap; says nothing about a given password). */
  has(name: string): boolean {
    return this.verified.has(name);
  }

  remember(name: string, hash: string, password: string, mac = this.mac(password)): void {
    if (!this.verified.has(name) && this.verified.size >= maxEntries) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(name, { hash, mac });
  }

  forget(name: string): void {
    this.verified.delete(name);
  }

  /**
   * `password` checked against `hash`: from memory when verified before, else by `scrypt` run in `slot` — shared with
   * any check of the same name, hash and password already running or waiting for its slot — and remembered when right.
   */
  async verify(name: string, hash: string, password: string, scrypt: () => Promise<boolean>, slot: HashSlot = runNow): Promise<boolean> {
    const mac = this.mac(password);
    const entry = this.verified.get(name);
    if (entry !== undefined && entry.hash === hash && crypto.timingSafeEqual(entry.mac, mac)) return true;
    const key = `${name}\u0000${hash}\u0000${mac.toString('base64')}`;
    const shared = this.inFlight.get(key);
    // The slot of the login that started the check may refuse it (its address throttled, its wait too long): that
    // says nothing about this login, which then takes a turn of its own.
    const ok = shared ? await shared.catch(() => this.start(key, scrypt, slot)) : await this.start(key, scrypt, slot);
    if (ok) this.remember(name, hash, password, mac);
    return ok;
  }

  private start(key: string, scrypt: () => Promise<boolean>, slot: HashSlot): Promise<boolean> {
    const running = slot(scrypt).finally(() => {
      if (this.inFlight.get(key) === running) this.inFlight.delete(key);
    });
    this.inFlight.set(key, running);
    return running;
  }

  private mac(password: string): Buffer {
    return crypto.createHmac('sha256', this.key).update(password).digest();
  }
}
