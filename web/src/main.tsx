import { render } from 'preact';
import '../styles/app.css';
import { App } from './app.js';

// Entry of the dashboard bundle (scripts/build-web.mjs). The page's index.html loads only this file and its CSS.
render(<App />, document.getElementById('app')!);

// The service worker keeps the app shell for an installed app's offline start (web/sw/sw.ts). Browsers allow it only
// in a secure context: https (TLS mode, docs/tls.md) or the hub's own machine (localhost).
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js').catch((err: Error) => console.warn(`rumah: the offline app shell is not available (${err.message})`));
}
