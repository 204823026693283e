import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type CaState = { state: 'loading' } | { state: 'none' } | { state: 'ok'; fingerprint?: string } | { state: 'error'; message: string };

/** SHA-256 of the certificate's DER bytes, as `AB:CD:…`: what the hub's start banner and `openssl x509 -fingerprint -sha256` print. */
async function fingerprint(pem: string): Promise<string | undefined> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  if (!globalThis.crypto?.subtle) return undefined; // only in a secure context (https), which is where this page is useful
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/**
 * Trusting the hub's own certification authority (docs/tls.md): download /ca.crt, compare its fingerprint with the
 * hub's start banner, then the steps for phones, browsers and MQTT clients. Without a local CA (TLS off, or a
 * certificate from elsewhere) the page says so.
 */
export function TrustPage(): JSX.Element {
  const [ca, setCa] = useState<CaState>({ state: 'loading' });
  useEffect(() => {
    // Over plain http the dashboard is served only by a hub without TLS (a TLS hub redirects it): nothing to trust.
    if (location.protocol !== 'https:') return setCa({ state: 'none' });
    fetch('/ca.crt', { credentials: 'same-origin' }).then(async (res) => {
      if (res.status === 404) return setCa({ state: 'none' });
      if (!res.ok) return setCa({ state: 'error', message: `the hub answered ${res.status}` });
      setCa({ state: 'ok', fingerprint: await fingerprint(await res.text()).catch(() => undefined) });
    }, (err: Error) => setCa({ state: 'error', message: err.message }));
  }, []);
  const host = location.hostname;
  return (
    <>
      <h1>Trust this hub</h1>
      <p>The hub signs its own certificate with a certification authority (CA) it made at its first start. A phone, a browser or an MQTT client that trusts this CA connects without warnings, and knows it talks to this hub and not to someone in between.</p>
      {ca.state === 'loading' && <p>Loading…</p>}
      {ca.state === 'error' && <p class="form-error" role="alert">The CA certificate could not be read: {ca.message}</p>}
      {ca.state === 'none' && (
        <p class="hint" data-ca="none">This hub has no CA of its own: either TLS is off, or its certificate comes from elsewhere (then trust that issuer instead). See docs/tls.md.</p>
      )}
      {ca.state === 'ok' && (
        <section class="panel trust" aria-labelledby="ca-h" data-ca="local">
          <h2 id="ca-h">1. Download the CA certificate</h2>
          <p><a href="/ca.crt" download="rumah-ca.crt" class="button-link">Download rumah-ca.crt</a></p>
          <p>Before you trust it, compare its SHA-256 fingerprint with the one the hub printed when it started (<code>CA SHA-256</code> in its banner and in the log line <code>TLS ready</code>):</p>
          {ca.fingerprint ? <p><code class="fingerprint" data-fingerprint={ca.fingerprint}>{ca.fingerprint}</code></p> : <p class="hint">Open this page over https to see the fingerprint here, or run <code>openssl x509 -noout -fingerprint -sha256 -in rumah-ca.crt</code>.</p>}
        </section>
      )}
      {ca.state === 'ok' && (
        <section class="panel trust" aria-labelledby="trust-h">
          <h2 id="trust-h">2. Trust it</h2>
          <h3>iPhone and iPad</h3>
          <ol>
            <li>Open this page in Safari and tap <strong>Download rumah-ca.crt</strong>; allow the configuration profile download.</li>
            <li>Settings → General → VPN &amp; Device Management → the rumah profile → Install (enter the passcode).</li>
            <li>Settings → General → About → Certificate Trust Settings → turn on full trust for the rumah CA.</li>
          </ol>
          <h3>Android</h3>
          <ol>
            <li>Download the certificate.</li>
            <li>Settings → Security &amp; privacy → More security settings → Encryption &amp; credentials → Install a certificate → <strong>CA certificate</strong>, and pick the file (menu names vary a little between makers).</li>
            <li>Chrome trusts it from then on. Apps trust user-installed CAs only if they opt in; a device app that cannot connect may need the CA in its own settings.</li>
          </ol>
          <h3>Desktop browsers</h3>
          <ul>
            <li><strong>Chrome, Edge</strong>: Settings → Privacy and security → Security → Manage certificates → Authorities (or, on Windows, Trusted Root Certification Authorities) → Import.</li>
            <li><strong>Firefox</strong> keeps its own list: Settings → Privacy &amp; Security → Certificates → View Certificates → Authorities → Import, and tick "Trust this CA to identify websites".</li>
            <li><strong>Safari on a Mac</strong>: open the file in Keychain Access (System keychain), then the certificate's Trust → "Always Trust".</li>
          </ul>
          <h3>MQTT clients</h3>
          <p>MQTT over TLS listens on port 8883 unless the hub was configured otherwise (<code>tls.mqttPort</code>).</p>
          <pre class="code-block"><code>{`mosquitto_pub -h ${host} -p 8883 --cafile rumah-ca.crt -u NAME -P PASSWORD -t TOPIC -m MESSAGE
mosquitto_sub -h ${host} -p 8883 --cafile rumah-ca.crt -u NAME -P PASSWORD -t 'TOPIC/#'`}</code></pre>
          <p>MQTT.js: <code>{`mqtt.connect('mqtts://${host}:8883', { ca: fs.readFileSync('rumah-ca.crt'), username, password })`}</code>. ESPHome, Tasmota (TLS builds) and Shelly: upload or paste the certificate as the broker's CA.</p>
          <p class="hint">A device without a way to trust a CA can still reach the hub on plain MQTT (port 1883) on a network you trust, unless the hub turned it off (<code>tls.plainMqtt: false</code>).</p>
        </section>
      )}
    </>
  );
}
