// What scrypt-pool.ts and its threads (scrypt-worker.ts) send each other.

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

export interface ScryptJob extends ScryptParams {
  id: number;
  password: string;
  salt: Uint8Array;
  keylen: number;
}

export type ScryptResult = { id: number; key: Uint8Array } | { id: number; error: string };
