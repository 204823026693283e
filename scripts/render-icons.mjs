#!/usr/bin/env node
// Renders the dashboard's app icons (web/icons/*.png, committed) from their SVGs with Debian's Chromium, once, when
// the icon changes: `node scripts/render-icons.mjs`. Not part of the build (PNG icons are what phones install).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage();
for (const [src, size, out] of [['icon.svg',192,'icon-192.png'],['icon.svg',512,'icon-512.png'],['icon-maskable.svg',512,'icon-maskable-512.png'],['icon-maskable.svg',180,'apple-touch-icon.png']]) {
  await p.setViewportSize({ width: size, height: size });
  const svg = fs.readFileSync('web/icons/' + src, 'utf8');
  await p.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
  await p.screenshot({ path: 'web/icons/' + out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}
await b.close();
