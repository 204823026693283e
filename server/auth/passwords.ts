import crypto from 'node:crypto';
import { FAST_SALT_BYTES, scryptEngine } from './scrypt-kdf.js';
import { scryptPool } from './scrypt-pool.js';

// Passwords (chosen by people, so guessable) get scrypt: slow and memory-hard. Tokens and generated secrets are
// 32 random bytes, which no one can guess, so a fast sha256 of them is enough and keeps each request cheap.
// Stored form: scrypt$N$r$p$saltB64$hashB64 — the parameters travel with the hash, so they can be raised later
// and old hashes still verify.

/**
 * Two costs. A person's password (dashboard users, admin MQTT accounts): N 16384, 16 MiB. A device's MQTT password:
 * N 2048, 2 MiB, still memory-hard. A device password is checked at every login that misses the verified cache (a
 * power cut reconnects every device at once) and when 1,000 devices pair at once it is hashed 1,000 times: at N
 * 16384 that alone took 18 s on a 2-core box, at 4096 pairing 1,000 took 10.7–11.3 s, at 2048 ~8 s. Each halving
 * of N costs a guesser half as much: one bit of the password's strength. Device passwords are mostly generated
 * (192 bits, where any hash is enough) or set once in a device's config; for comparison mosquitto_passwd stores
 * PBKDF2-SHA512 with 101 iterations, about 50× cheaper to guess than this. README "Decisions" has the reasoning.
 */
export type PasswordCost = 'person' | 'device';
const COST: Record<PasswordCost, { N: number; r: number; p: number }> = {
  person: { N: 16384, r: 8, p: 1 },
  device: { N: 2048, r: 8, p: 1 },
};
/** 32 bytes since 2026-12-07 (16 before): the salt libsodium's faster scrypt takes (scrypt-kdf.ts). */
const SALT_BYTES = FAST_SALT_BYTES;
const KEY_BYTES = 32;
/** Refuse parameters a tampered row could use to make one verify eat the machine. */
const MAX_N = 1 << 20;

function scrypt(password: string, salt: Buffer, keylen: number, n: number, r: number, p: number): Promise<Buffer> {
  // maxmem: scrypt needs 128·N·r bytes; node's default cap (32 MiB) would refuse a larger N.
  return scryptPool.derive(password, salt, keylen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
}

export async function hashPassword(password: string, cost: PasswordCost = 'person'): Promise<string> {
  const { N, r, p } = COST[cost];
  const salt = crypto.randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Where a password hash runs: the MQTT login gate (server/mqtt/login-gate.ts) passes one that waits for a free slot,
 * so at most a few scrypts use libuv's pool at once, in the order the logins came. Only the hash waits there: reading
 * the row before and after it does not hold a slot.
 */
export type HashSlot = <T>(work: () => Promise<T>) => Promise<T>;

/** No gate: the work runs now (the CLI, tests, anything that hashes one password at a time). */
export const runNow: HashSlot = (work) => work();

const dummyHashes: Partial<Record<PasswordCost, Promise<string>>> = {};

/**
 * True when `password` matches `stored`. With `stored` undefined (no such user) it still spends one scrypt of the
 * given cost, so the answer takes as long for an unknown name as for a wrong password: names cannot be probed by
 * timing.
 */
export async function verifyPassword(password: string, stored: string | undefined, cost: PasswordCost = 'person'): Promise<boolean> {
  if (stored === undefined) {
    const dummy = (dummyHashes[cost] ??= hashPassword(randomSecret(16), cost));
    await verifyPassword(password, await dummy);
    return false;
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every(Number.isSafeInteger) || n < 2 || n > MAX_N || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) {
    return false;
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length < 16 || expected.length > 128) return false;
  const actual = await scrypt(password, salt, expected.length, n, r, p);
  return crypto.timingSafeEqual(actual, expected);
}

/**
 * True when `stored` would hash faster with a new salt: its salt is not the length libsodium takes (the 16-byte salts
 * of hashes stored before 2026-12-07) and libsodium is here to use it. Its parameters are ones libsodium can run.
 */
export function hasLegacySalt(stored: string): boolean {
  const parts = stored.split('$');
  const legacy = parts.length === 6 && parts[0] === 'scrypt' && parts[2] === '8' && parts[3] === '1' && Buffer.byteLength(parts[4]!, 'base64') !== SALT_BYTES;
  // Asked only then: it loads libsodium, which a login with today's salt has no need of (scrypt-kdf.ts says why late).
  return legacy && scryptEngine() === 'libsodium';
}

/** The same password under the same parameters and key length as `stored`, with a new salt of today's length. */
export async function resalted(password: string, stored: string): Promise<string> {
  const [, n, r, p, , key] = stored.split('$') as [string, string, string, string, string, string];
  const salt = crypto.randomBytes(SALT_BYTES);
  const derived = await scrypt(password, salt, Buffer.from(key, 'base64').length, Number(n), Number(r), Number(p));
  return `scrypt$${n}$${r}$${p}$${salt.toString('base64')}$${derived.toString('base64')}`;
}

/**
 * A random secret for generated passwords and tokens: `bytes` random bytes, base64url (URL- and MQTT-safe). Never one
 * that starts with '-' (1 in 64 did): on a command line it reads as an option (`npm run simulate -- --password -x…`
 * failed with "argument is ambiguous"). Drawing again costs under 0.03 bits of the 256.
 */
export function randomSecret(bytes = 32): string {
  for (;;) {
    const secret = crypto.randomBytes(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

/** Hex sha256, for storing tokens: they are long and random, so no salt or slow hash is needed. */
export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
