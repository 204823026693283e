import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { distRoot } from './process.js';
import { tempDir } from './hub.js';

/**
 * Imports a dashboard module (web/src/...) from its TypeScript source, bundled by esbuild as the dashboard's build
 * bundles it. Tests of the browser's pure logic (web/src/model) use it: tsc's output for web/ does not survive the
 * build (scripts/build-web.mjs replaces dist/web with the bundle), so a test cannot import it from dist/.
 */
export async function importWebModule<T>(source: string): Promise<T> {
  const dir = tempDir('rumah-web-module-');
  try {
    const outfile = path.join(dir, `${path.basename(source).replace(/\.tsx?$/, '')}.mjs`);
    await build({ entryPoints: [path.resolve(distRoot, '..', source)], bundle: true, format: 'esm', platform: 'neutral', outfile, logLevel: 'silent' });
    return (await import(pathToFileURL(outfile).href)) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
