import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { writeAtomic } from '../tls/files.js';

// The backup key ("emergency kit", as Home Assistant calls it): 32 random bytes, made at the first backup, kept in
// the data folder so automatic backups can use it, and shown to the admin once. A backup is useless without it:
// the data folder it lives in is what a backup is for losing.

export const KIT_FILE = 'backup-key.json';

interface KitFile {
  key: string;
  createdAt: number;
  /** When the key was shown to a person (CLI output, the API's first backup); absent: never yet. */
  shownAt?: number;
}

export interface Kit {
  /** 32 bytes. */
  key: Buffer;
  /** The key as a person writes it down: 13 groups of 4 letters and digits. */
  text: string;
  /** 8 hex digits, written in every backup's header, so a wrong key is named as such before anything is decrypted. */
  id: string;
  shown: boolean;
  /** True when this call made the key. */
  created: boolean;
}

// RFC 4648 base32: no 0, 1, 8 or 9, so the letters O, I and B cannot be misread as digits (parseKey maps them back).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function formatKey(key: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join('-');
}

/** A key as typed: case, spaces and dashes do not matter; 0, 1 and 8 are read as O, I and B. */
export function parseKey(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
  if (clean.length !== 52 || /[^A-Z2-7]/.test(clean)) {
    throw new RumahError(ErrorCodes.BAD_REQUEST, 'a backup key is 52 letters and digits (13 groups of 4, as printed at the first backup)');
  }
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    value = ((value << 5) | ALPHABET.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out.slice(0, 32));
}

export function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update('rumah backup key id\n').update(key).digest('hex').slice(0, 8);
}

function kitPath(dataDir: string): string {
  return path.join(dataDir, KIT_FILE);
}

function read(dataDir: string): KitFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(kitPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const file = JSON.parse(text) as KitFile;
    parseKey(file.key);
    return file;
  } catch {
    throw new RumahError(ErrorCodes.BAD_REQUEST, `${kitPath(dataDir)} is damaged: move it aside to make a new key (backups made with the old one then need the old key, typed in)`);
  }
}

function kitOf(file: KitFile, created: boolean): Kit {
  const key = parseKey(file.key);
  return { key, text: formatKey(key), id: keyId(key), shown: file.shownAt !== undefined, created };
}

/** The data folder's backup key, made now if there is none. */
export function loadOrCreateKit(dataDir: string): Kit {
  const existing = read(dataDir);
  if (existing) return kitOf(existing, false);
  const file: KitFile = { key: formatKey(crypto.randomBytes(32)), createdAt: Date.now() };
  fs.mkdirSync(dataDir, { recursive: true });
  writeAtomic(kitPath(dataDir), JSON.stringify(file, null, 2) + '\n', 0o600);
  return kitOf(file, true);
}

export function loadKit(dataDir: string): Kit | undefined {
  const existing = read(dataDir);
  return existing && kitOf(existing, false);
}

/** Records that a person has now seen the key: it is not offered again. */
export function markShown(dataDir: string): void {
  const file = read(dataDir);
  if (!file || file.shownAt !== undefined) return;
  writeAtomic(kitPath(dataDir), JSON.stringify({ ...file, shownAt: Date.now() }, null, 2) + '\n', 0o600);
}

/** After a restore: the key the admin typed is the one this folder's next backups use (they already have it). */
export function installKey(dataDir: string, key: Buffer): void {
  const file: KitFile = { key: formatKey(key), createdAt: Date.now(), shownAt: Date.now() };
  writeAtomic(kitPath(dataDir), JSON.stringify(file, null, 2) + '\n', 0o600);
}
