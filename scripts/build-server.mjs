#!/usr/bin/env node
// Bundles the hub (tsc's output from dist/server/main.js) into dist/server/bundle/: what `npm start` and the systemd
// unit run. Why (docs/benchmarks.md, "Start order"): Node 20 loads each ES module with its own resolve, file open, stat
// and compile; the hub before its first CONNACK was ~320 of them (zod alone 95, yaml 72 CommonJS files) and module
// loading was most of the start. One file per part loads in one read and one compile.
// - Split: what Hub.start imports after the MQTT listeners (server/after-listen.ts, server/web-stack.ts) and only some
//   setups use (TLS, MQTT-SN) stay separate chunks, loaded when they are imported, as in dist/.
// - Bundled dependencies: only pure libraries with many files on the start path (zod, yaml). The rest stays in
//   node_modules, loaded as by dist/: sqlite3 is native; aedes and its family are patched and checked by identity
//   (server/mqtt/aedes-internals.ts resolves them from node_modules); pino starts worker files by path.
// - Source maps (linked, through tsc's maps back to the .ts): stack traces name bundle lines unless Node runs with
//   --enable-source-maps (README, "Decisions").
// The tests run tsc's dist/ as before; test/flows/bundle-start.test.ts starts this bundle and logs in over MQTT.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { root } from './build-state.mjs';

/** Dependencies compiled into the bundle; every other one is imported from node_modules at run time. */
const inlined = new Set(['zod', 'yaml']);

const out = path.join(root, 'dist/server/bundle');
/** A bare import (a package, not a relative path or node:) stays an import unless the package is inlined. */
const packagesOutside = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return inlined.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });
await build({
  // The history export's thread is started from a file next to the chunk that starts it (influx-export.ts).
  entryPoints: { hub: path.join(root, 'dist/server/main.js'), 'quiet-debug': path.join(root, 'dist/server/quiet-debug.js'), 'core-streams': path.join(root, 'dist/server/core-streams.js'), 'influx-worker': path.join(root, 'dist/server/export/influx-worker.js'), 'scrypt-worker': path.join(root, 'dist/server/auth/scrypt-worker.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [packagesOutside],
  // Whitespace and syntax only: fewer bytes to read and scan; names stay as written, for stack traces and profiles.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  // The maps point at the .ts files of the checkout, which is where the bundle runs from: no copy of them inside.
  sourcesContent: false,
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS (yaml) calls require(): ESM output has none, so one is made for the bundle's own place.
  banner: { js: "import { createRequire as __rumahCreateRequire } from 'node:module'; const require = __rumahCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The entry. An ES module's imports all run before its own code, and in a chunk esbuild puts every external import
// (aedes, mqtt-packet, pino...) at the top: server/quiet-debug.ts, which must patch `debug` before mqtt-packet makes
// its loggers, and server/core-streams.ts, which must set READABLE_STREAM before bl loads readable-stream, would run
// after them. So each is an entry of its own, run first; the hub is imported once they have.
fs.writeFileSync(path.join(out, 'main.js'), [
  '#!/usr/bin/env node',
  '// Written by scripts/build-server.mjs: server/quiet-debug.ts and server/core-streams.ts first, then the hub (see there why).',
  "import './quiet-debug.js';",
  "import './core-streams.js';",
  "await import('./hub.js');",
  '',
].join('\n'), { mode: 0o755 });
