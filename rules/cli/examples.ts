// `rules examples`: copy the shipped examples (rules/examples) into the rules folder, never over a file that
// exists. The hub does not do this by itself: a rules folder holds only what its user put there.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** rules/examples in the installation (dist/rules/cli → the repository's rules/examples). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../rules/examples/', import.meta.url));

export function copyExamples(rulesDir: string): { copied: string[]; skipped: string[] } {
  fs.mkdirSync(rulesDir, { recursive: true });
  const copied: string[] = [];
  const skipped: string[] = [];
  for (const file of fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const target = path.join(rulesDir, file);
    if (fs.existsSync(target)) {
      skipped.push(file);
      continue;
    }
    fs.copyFileSync(path.join(EXAMPLES_DIR, file), target);
    copied.push(file);
  }
  return { copied, skipped };
}
