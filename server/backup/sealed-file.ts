import crypto from 'node:crypto';
import fs from 'node:fs';
import { ErrorCodes, RumahError } from '../core/errors.js';

// The encrypted backup file: a clear header, then the archive in AES-256-GCM chunks.
//
//   "RUMAHBAK" | u32 header length | header JSON | chunk* 
//   chunk = u8 final | u32 ciphertext length | ciphertext | 16-byte GCM tag
//
// Each file has its own key, HKDF-SHA256(kit key, random salt from the header), so chunk nonces can be a counter:
// nonce = 7 zero bytes | u32 chunk number | final flag. The STREAM construction (Hoang, Reyhanitabar, Rogaway,
// Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015): a reordered or dropped
// chunk fails its tag, and a file cut short has no chunk marked final. Every tag also covers the header (as AAD),
// so its version fields cannot be edited. Chunks are 1 MiB: a large history never has to fit in memory.

const MAGIC = Buffer.from('RUMAHBAK');
const CHUNK = 1024 * 1024;
const MAX_HEADER = 64 * 1024;

export interface SealedHeader {
  format: 1;
  createdAt: number;
  rumahVersion: string;
  schema: { rumah: number; broker: number };
  /** The kit key's id (kit.ts keyId). */
  keyId: string;
  /** base64, 16 bytes. */
  salt: string;
}

export type Progress = (done: number, total: number) => void;

function fileKey(kitKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', kitKey, salt, 'rumah backup v1', 32));
}

function nonce(counter: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(counter, 7);
  n[11] = final ? 1 : 0;
  return n;
}

function corrupt(file: string, why: string): RumahError {
  return new RumahError(ErrorCodes.BACKUP_INVALID, `${file} is not a usable rumah backup: ${why}. Nothing was changed`, { file, reason: why });
}

/** Encrypts `input` (a file) into `output` with the header given; reports bytes read. */
export async function seal(input: string, output: string, header: Omit<SealedHeader, 'salt' | 'format'>, kitKey: Buffer, progress?: Progress): Promise<void> {
  const salt = crypto.randomBytes(16);
  const full: SealedHeader = { format: 1, ...header, salt: salt.toString('base64') };
  const headerBytes = Buffer.from(JSON.stringify(full));
  const key = fileKey(kitKey, salt);
  const aad = crypto.createHash('sha256').update(headerBytes).digest();
  const total = fs.statSync(input).size;
  const src = fs.openSync(input, 'r');
  const dst = fs.openSync(output, 'w', 0o600);
  try {
    const lengths = Buffer.alloc(4);
    lengths.writeUInt32BE(headerBytes.length);
    fs.writeSync(dst, Buffer.concat([MAGIC, lengths, headerBytes]));
    const buf = Buffer.alloc(CHUNK);
    let done = 0;
    for (let counter = 0; ; counter++) {
      const n = fs.readSync(src, buf, 0, CHUNK, null);
      done += n;
      const final = done >= total;
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce(counter, final));
      cipher.setAAD(aad);
      const ct = Buffer.concat([cipher.update(buf.subarray(0, n)), cipher.final()]);
      const frame = Buffer.alloc(5);
      frame[0] = final ? 1 : 0;
      frame.writeUInt32BE(ct.length, 1);
      fs.writeSync(dst, Buffer.concat([frame, ct, cipher.getAuthTag()]));
      progress?.(done, total);
      if (final) break;
      // Let the hub's event loop breathe between chunks (a backup runs beside live MQTT traffic).
      if (counter % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    fs.fsyncSync(dst);
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

/** The clear header of a backup file; throws BACKUP_INVALID when it is not one. */
export function readHeader(file: string): { header: SealedHeader; offset: number; headerBytes: Buffer } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new RumahError(ErrorCodes.NOT_FOUND, `cannot read ${file}: ${(err as Error).message}`, { file });
  }
  try {
    const start = Buffer.alloc(12);
    if (fs.readSync(fd, start, 0, 12, 0) < 12 || !start.subarray(0, 8).equals(MAGIC)) throw corrupt(file, 'it does not start like one');
    const length = start.readUInt32BE(8);
    if (length > MAX_HEADER) throw corrupt(file, 'its header is too long');
    const headerBytes = Buffer.alloc(length);
    if (fs.readSync(fd, headerBytes, 0, length, 12) < length) throw corrupt(file, 'it is cut short (truncated)');
    let header: SealedHeader;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as SealedHeader;
    } catch {
      throw corrupt(file, 'its header is damaged');
    }
    if (header.format !== 1 || typeof header.keyId !== 'string' || typeof header.salt !== 'string' || typeof header.schema?.rumah !== 'number' || typeof header.schema?.broker !== 'number') {
      throw corrupt(file, `its header has a format this rumah does not know (${JSON.stringify(header.format)})`);
    }
    return { header, offset: 12 + length, headerBytes };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Decrypts `input` into `output`. Every chunk is authenticated before a byte of it is written, and a file without
 * its final chunk is refused: the caller only uses `output` once this resolves.
 */
export async function unseal(input: string, output: string, kitKey: Buffer, progress?: Progress): Promise<SealedHeader> {
  const { header, offset, headerBytes } = readHeader(input);
  const key = fileKey(kitKey, Buffer.from(header.salt, 'base64'));
  const aad = crypto.createHash('sha256').update(headerBytes).digest();
  const total = fs.statSync(input).size;
  const src = fs.openSync(input, 'r');
  const dst = fs.openSync(output, 'w', 0o600);
  try {
    let pos = offset;
    const frame = Buffer.alloc(5);
    for (let counter = 0; ; counter++) {
      if (fs.readSync(src, frame, 0, 5, pos) < 5) throw corrupt(input, 'it is cut short (truncated)');
      const final = frame[0] === 1;
      const length = frame.readUInt32BE(1);
      if (frame[0]! > 1 || length > CHUNK + 16) throw corrupt(input, `chunk ${counter} is damaged`);
      const body = Buffer.alloc(length + 16);
      if (fs.readSync(src, body, 0, body.length, pos + 5) < body.length) throw corrupt(input, 'it is cut short (truncated)');
      pos += 5 + body.length;
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce(counter, final));
      decipher.setAAD(aad);
      decipher.setAuthTag(body.subarray(length));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(body.subarray(0, length)), decipher.final()]);
      } catch {
        throw corrupt(input, `chunk ${counter} fails its authentication tag (the file is damaged or was changed)`);
      }
      fs.writeSync(dst, plain);
      progress?.(pos, total);
      if (final) {
        if (pos !== total) throw corrupt(input, 'it has data after its last chunk');
        break;
      }
      if (counter % 8 === 7) await new Promise((r) => setImmediate(r));
    }
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
  return header;
}
