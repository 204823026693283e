// `rules examples`: copy the shipped examples (rules/examples) into the rules folder, never over a file that
// exists, each with `enabled: false`: an example that switches lights at 06:45 or publishes a count on every light
// report is something to read and then enable, not to start doing at once (issue 18: three rules ran at once). The
// hub does not copy them by itself: a rules folder holds only what its user put there.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setRuleValue } from '../schema/edit.js';

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
    // The one line is added by the same editor as the dashboard's toggle: comments and layout stay.
    const text = setRuleValue(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'), ['enabled'], false);
    fs.writeFileSync(target, text, { flag: 'wx' });
    copied.push(file);
  }
  return { copied, skipped };
}
