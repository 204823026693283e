#!/usr/bin/env node
// `npm start`: the hub, in this process, from its bundle (dist/server/bundle/, scripts/build-server.mjs says why). Builds first only when a source is newer than the last build
// (scripts/build-state.mjs), so a start on a built tree costs Node's own start-up and the hub's, about a second.
// Arguments after `npm start --` go to the hub as they are (`npm start -- --tls`).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIfStale, root } from './build-state.mjs';

const status = buildIfStale();
if (status !== 0) process.exit(status);
await import(pathToFileURL(path.join(root, 'dist/server/bundle/main.js')).href);
