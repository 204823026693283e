// The installable side of the dashboard (issue 18 item 9), called by scripts/build-web.mjs after the bundle: the app
// icons copied under content-hashed names, the web app manifest, and the service worker (web/sw/sw.ts) that keeps
// the shell for offline starts. Returns the tags index.html needs in its <head>.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const icons = [
  { file: 'icon-192.png', sizes: '192x192', purpose: 'any' },
  { file: 'icon-512.png', sizes: '512x512', purpose: 'any' },
  { file: 'icon-maskable-512.png', sizes: '512x512', purpose: 'maskable' },
  { file: 'apple-touch-icon.png', sizes: '180x180', purpose: undefined },
];

function hashed(root, assets, file) {
  const data = fs.readFileSync(path.join(root, 'web/icons', file));
  const hash = crypto.createHash('sha256').update(data).digest('hex').slice(0, 8).toUpperCase();
  const name = file.replace(/\.png$/, `-${hash}.png`);
  fs.writeFileSync(path.join(assets, name), data);
  return `/assets/${name}`;
}

/** `shell`: the site paths of the bundle's script and stylesheet (and anything else the first paint needs). */
export async function buildPwa({ root, out, assets, shell }) {
  const urls = Object.fromEntries(icons.map((i) => [i.file, hashed(root, assets, i.file)]));
  const manifest = {
    name: 'rumah',
    short_name: 'rumah',
    description: 'Your home: devices, rules and history',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#f6f7f5',
    theme_color: '#2f7d5b',
    icons: icons.filter((i) => i.purpose).map((i) => ({ src: urls[i.file], sizes: i.sizes, type: 'image/png', purpose: i.purpose })),
  };
  fs.writeFileSync(path.join(out, 'manifest.webmanifest'), JSON.stringify(manifest, null, 2) + '\n');

  const files = ['/', '/manifest.webmanifest', ...shell, ...Object.values(urls)];
  const version = crypto.createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
  await build({
    entryPoints: [path.join(root, 'web/sw/sw.ts')],
    outfile: path.join(out, 'sw.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: process.env.RUMAH_WEB_MINIFY !== '0',
    logLevel: 'warning',
    define: { __SHELL__: JSON.stringify(files), __VERSION__: JSON.stringify(version) },
  });
  return [
    '<link rel="manifest" href="/manifest.webmanifest">',
    '<meta name="theme-color" content="#2f7d5b">',
    `<link rel="apple-touch-icon" href="${urls['apple-touch-icon.png']}">`,
  ].join('\n  ');
}
