import os from 'node:os';
import type { Config } from './config/schema.js';
import type { Runtime } from './hub.js';

/** The few lines a person reads after `npm start`: where to connect and how to log in. Logs stay JSON on stdout. */
export function printBanner(config: Readonly<Config>, runtime: Runtime, setupCode: string | undefined): void {
  const host = config.bind === '0.0.0.0' || config.bind === '::' ? hostAddress() : config.bind;
  const tls = runtime.tls;
  const web = `${tls ? 'https' : 'http'}://${host}:${runtime.httpPort}`;
  const lines = ['', 'rumah is running', `  dashboard        ${web}/`];
  if (tls) lines.push(`  MQTT over TLS    mqtts://${host}:${tls.mqttPort}`);
  if (runtime.mqttPort) lines.push(`  MQTT over TCP    mqtt://${host}:${runtime.mqttPort}${tls ? '   (plain: tls.plainMqtt: false turns it off)' : ''}`);
  lines.push(`  MQTT over WS     ${tls ? 'wss' : 'ws'}://${host}:${runtime.httpPort}/mqtt`);
  if (tls?.caFingerprint256) {
    // What a person needs to make devices and browsers trust the hub: where the CA is, and how to check it.
    lines.push(
      `  CA certificate   ${web}/ca.crt${config.tls.plainHttp ? ' (plain http:// too)' : ''}, or ${config.dataDir}/tls/ca.crt`,
      `  CA SHA-256       ${tls.caFingerprint256}`,
      '                   compare it before you trust the CA; devices: mosquitto_pub --cafile ca.crt ...',
    );
  } else if (tls) {
    lines.push(`  certificate      yours (tls.certFile), SHA-256 ${tls.fingerprint256}`);
  }
  lines.push(`  data             ${config.dataDir} (ports also in runtime.json)`);
  if (setupCode) {
    lines.push(
      '',
      `  First start: open the dashboard and create the admin with the one-time setup code ${setupCode}`,
      '  (or start once with RUMAH_ADMIN_PASSWORD=... to create the user "admin" without a browser).',
    );
  }
  lines.push('  Device credentials: npm run rumah -- devices add NAME', '');
  process.stderr.write(lines.join('\n') + '\n');
}

function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return 'localhost';
}
