import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tempDir } from './hub.js';

/** Mounts a tmpfs of `size` (e.g. `4m`) on `dir`: a small disk a test can fill. False without the right (not root). */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may mount a tmpfs (tried once on a scratch folder). */
export function canMountTmpfs(): boolean {
  const probe = tempDir('rumah-mount-');
  const can = mountTmpfs(probe, '64k');
  if (can) execFileSync('umount', [probe]);
  fs.rmSync(probe, { recursive: true, force: true });
  return can;
}
