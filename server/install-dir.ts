import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installation rumah runs from (the checkout holding package.json, dist/web, rules/examples): the nearest folder
 * above this module that holds a package.json. Found rather than counted in `../`, because this module runs from two
 * places: dist/server/ (tsc's output, which the tests run) and dist/server/bundle/ (the bundle `npm start` and the
 * service run, scripts/build-server.mjs). dist/ itself holds no package.json.
 */
export const installDir: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    dir = up;
  }
})();

/** package.json's version, or undefined when it cannot be read. */
export function installedVersion(): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(installDir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
