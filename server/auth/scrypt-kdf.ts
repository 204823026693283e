// The scrypt function itself, for the pool's threads and its libuv path (scrypt-pool.ts).
//
// libsodium computes scrypt ~1.25× faster than Node's OpenSSL here (device cost, 2 threads on 2 cores: 1.66–1.70
// against 2.09–2.15 ms a hash; its salsa20/8 core uses SSE2), and a reconnect storm is nothing but hashes. It is the
// same function, with the same result — only its API differs: it takes a 32-byte salt, always r 8, and derives N and
// p from an operations and a memory limit. So a hash whose salt is 32 bytes and whose parameters that API can
// express runs on libsodium, and every other (the 16-byte salts stored before, other r or p) on OpenSSL; either
// verifies the other's hashes. test/unit/auth/scrypt-kdf.test.ts checks both give the same bytes.
//
// sodium-native is an optional dependency (prebuilt for linux-x64 and arm64, not for 32-bit ARM): without it every
// hash runs on OpenSSL, only slower.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { ScryptParams } from './scrypt-messages.js';

type Sodium = {
  crypto_pwhash_scryptsalsa208sha256(out: Buffer, password: Buffer, salt: Uint8Array, opslimit: number, memlimit: number): void;
  crypto_pwhash_scryptsalsa208sha256_async(out: Buffer, password: Buffer, salt: Uint8Array, opslimit: number, memlimit: number): Promise<void>;
  crypto_pwhash_scryptsalsa208sha256_SALTBYTES: number;
  crypto_pwhash_scryptsalsa208sha256_BYTES_MIN: number;
  crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN: number;
};

let sodium: Sodium | undefined | null = null;

/** libsodium, loaded when first wanted rather than at the start, or undefined without it. */
function lib(): Sodium | undefined {
  if (sodium === null) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = undefined;
    }
  }
  return sodium;
}

/**
 * How long after the first device-cost hash on the event loop's side libsodium is loaded, unless something asks for
 * it sooner (the hub's main.ts asks scryptEngine() for its log line once the start is done). Loading it (a native
 * module) takes 5–9 ms of the event loop here, and that hash is mostly a restart's first login: the load ran in that
 * device's CONNACK. The hashes before then run on OpenSSL (the same function, ~1 ms slower for a device's), and a
 * storm's hashes on the hashing threads, which load their own.
 */
const libsodiumAfterMs = 1000;
let loadScheduled = false;

/**
 * From this N on (a person's password, 16 MiB: a first start's admin, a dashboard login) libsodium is loaded for the
 * hash itself: OpenSSL's ~25% more on a hash of ~25–40 ms costs a core more than the load costs the event loop, and a
 * first start measured slower with it deferred (exec → first CONNACK, 30 alternated pairs).
 */
const loadNowFromN = 16384;

/** libsodium if loaded; otherwise undefined, and its load scheduled. */
function libLoaded(): Sodium | undefined {
  if (sodium !== null) return sodium;
  if (!loadScheduled) {
    loadScheduled = true;
    setTimeout(lib, libsodiumAfterMs).unref();
  }
  return undefined;
}

/** Which implementation hashes with a 32-byte salt in this process (logged after the start, read by tests and benches). */
export function scryptEngine(): 'libsodium' | 'openssl' {
  return lib() ? 'libsodium' : 'openssl';
}

/** The salt length libsodium's scrypt takes: new hashes use it. */
export const FAST_SALT_BYTES = 32;

/**
 * libsodium's limits for N, r 8, p 1, or undefined when it cannot compute this hash. Its parameter picking (for
 * opslimit < memlimit / 32: r 8, p 1, N the largest power of two ≤ opslimit / 32) gives back exactly N when
 * opslimit is 32·N and memlimit is over 1024·N.
 */
function sodiumLimits(native: Sodium | undefined, password: string, salt: Uint8Array, keylen: number, { N, r, p }: ScryptParams): { ops: number; mem: number } | undefined {
  // An empty password (MQTT allows one) goes to OpenSSL: sodium-native's async call refuses it.
  if (!native || password.length === 0 || salt.length !== native.crypto_pwhash_scryptsalsa208sha256_SALTBYTES || r !== 8 || p !== 1) return undefined;
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0 || keylen < native.crypto_pwhash_scryptsalsa208sha256_BYTES_MIN) return undefined;
  return { ops: 32 * N, mem: Math.max(native.crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN, 2048 * N) };
}

/** scrypt on this thread (the pool's threads). */
export function scryptSync(password: string, salt: Uint8Array, keylen: number, params: ScryptParams): Buffer {
  const native = lib();
  const limits = sodiumLimits(native, password, salt, keylen, params);
  if (!limits) return crypto.scryptSync(password, salt, keylen, params);
  const key = Buffer.alloc(keylen);
  native!.crypto_pwhash_scryptsalsa208sha256(key, Buffer.from(password, 'utf8'), salt, limits.ops, limits.mem);
  return key;
}

/** scrypt on libuv's pool (one or two hashes at a time, or before the pool's threads are up). */
export async function scryptAsync(password: string, salt: Uint8Array, keylen: number, params: ScryptParams): Promise<Buffer> {
  const native = params.N >= loadNowFromN ? lib() : libLoaded();
  const limits = sodiumLimits(native, password, salt, keylen, params);
  if (!limits) {
    return new Promise((resolve, reject) => crypto.scrypt(password, salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key))));
  }
  const key = Buffer.alloc(keylen);
  await native!.crypto_pwhash_scryptsalsa208sha256_async(key, Buffer.from(password, 'utf8'), salt, limits.ops, limits.mem);
  return key;
}
