#!/usr/bin/env node
// Bundles the dashboard (web/) into dist/web: one script and one stylesheet with content-hashed names, and an
// index.html that names them. Everything the browser loads comes from the hub (no CDN): the hub may run on a home
// network without internet. Run by scripts/build.mjs (npm install, npm run build, and npm start / npm test when a
// source changed), or alone by `npm run build:web`.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildPwa } from './build-pwa.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/web');
const assets = path.join(out, 'assets');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [path.join(root, 'web/src/main.tsx')],
  outdir: assets,
  entryNames: '[name]-[hash]',
  // Code splitting: a page's heavy parts load when it opens (the rule editor's CodeMirror: 400 KB, 130 KB gzipped).
  splitting: true,
  chunkNames: 'chunk-[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // RUMAH_WEB_MINIFY=0 keeps names readable in a browser profile.
  minify: process.env.RUMAH_WEB_MINIFY !== '0',
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // socket.io ships its browser client inside the server package; its package.json does not export that path.
  alias: { 'socket.io-client': path.join(root, 'node_modules/socket.io/client-dist/socket.io.esm.min.js') },
  loader: { '.svg': 'file' },
});

const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(out, path.resolve(root, file)));
const script = outputs.find((f) => /^assets\/main-[^/]+\.js$/.test(f));
const style = outputs.find((f) => /^assets\/main-[^/]+\.css$/.test(f));
if (!script || !style) throw new Error(`build-web: missing outputs in ${outputs.join(', ')}`);

/** The chunks the entry imports statically: the offline shell needs them to start (lazy pages' chunks it does not). */
function staticChunks(entry) {
  const key = Object.keys(result.metafile.outputs).find((f) => path.relative(out, path.resolve(root, f)) === entry);
  return (result.metafile.outputs[key]?.imports ?? [])
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `/${path.relative(out, path.resolve(root, i.path))}`);
}

fs.copyFileSync(path.join(root, 'web/favicon.svg'), path.join(assets, 'favicon.svg'));
const html = fs.readFileSync(path.join(root, 'web/index.html'), 'utf8')
  .replace('%SCRIPT%', `/${script}`)
  .replace('%STYLE%', `/${style}`)
  .replace('%PWA%', await buildPwa({ root, out, assets, shell: [`/${script}`, `/${style}`, ...staticChunks(script), '/assets/favicon.svg'] }));
fs.writeFileSync(path.join(out, 'index.html'), html);

// Each text asset also compressed, once, here: the hub sends the .br or .gz a browser accepts (server/http/routes/
// web.ts) without compressing on every request — a Raspberry Pi's CPU is the house's, and the assets never change.
for (const name of fs.readdirSync(assets)) {
  if (!/\.(js|css|svg|txt)$/.test(name)) continue;
  const data = fs.readFileSync(path.join(assets, name));
  fs.writeFileSync(path.join(assets, `${name}.br`), zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  fs.writeFileSync(path.join(assets, `${name}.gz`), zlib.gzipSync(data, { level: 9 }));
}

const size = (f) => fs.statSync(path.join(out, f)).size;
process.stderr.write(`build-web: ${script} ${(size(script) / 1024).toFixed(1)} KiB (${(size(`${script}.br`) / 1024).toFixed(1)} KiB brotli), ${style} ${(size(style) / 1024).toFixed(1)} KiB\n`);
