import crypto from 'node:crypto';

/**
 * A password hash as rumah stored it before 2026-12-07: scrypt with a 16-byte salt, which only OpenSSL's scrypt takes
 * (server/auth/scrypt-kdf.ts); resalted after a quiet login (server/auth/resalt.ts).
 */
export function legacyHash(password: string, N = 2048): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem: 64 << 20 });
  return `scrypt$${N}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}
