/// <reference lib="webworker" />
// The dashboard's service worker (served as /sw.js, scope /): it keeps the app shell — index.html, the hashed
// script and stylesheet, the icons — so the installed app opens without the network and says the hub is out of
// reach instead of the browser's error page. Nothing from /api or /socket.io is ever cached: a house's states and
// the session stay on the hub. Built by scripts/build-pwa.mjs, which fills in the shell's files and a version.

declare const __SHELL__: string[];
declare const __VERSION__: string;
// `self` is typed as a plain worker by the WebWorker lib: this script only ever runs as a service worker.
const sw = self as unknown as ServiceWorkerGlobalScope;

const prefix = 'rumah-shell-';
const cacheName = prefix + __VERSION__;
const shell = new Set(__SHELL__);

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(__SHELL__)).then(() => sw.skipWaiting()));
});

// A new build's worker takes over at once and drops the shells of older builds (their hashed files are gone).
sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(prefix) && k !== cacheName).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/socket.io/')) return;
  if (request.mode === 'navigate') {
    // The network first (index.html is never cached by HTTP either: a new build shows on the next load); the kept
    // shell only when the hub cannot be reached. Every page path is the same single-page app.
    event.respondWith(fetch(request).catch(() => caches.match('/', { cacheName }).then((hit) => hit ?? Response.error())));
    return;
  }
  if (shell.has(url.pathname)) event.respondWith(caches.match(request, { cacheName }).then((hit) => hit ?? fetch(request)));
});
