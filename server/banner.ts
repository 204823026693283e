import os from 'node:os';
import type { Config } from './config/schema.js';
import type { Runtime } from './hub.js';

/** The few lines a person reads after `npm start`: where to connect and how to log in. Logs stay JSON on stdout. */
export function printBanner(config: Readonly<Config>, runtime: Runtime, setupCode: string | undefined): void {
  const host = config.bind === '0.0.0.0' || config.bind === '::' ? hostAddress() : config.bind;
  const lines = [
    '',
    'rumah is running',
    `  dashboard        http://${host}:${runtime.httpPort}/`,
    `  MQTT over TCP    mqtt://${host}:${runtime.mqttPort}`,
    `  MQTT over WS     ws://${host}:${runtime.httpPort}/mqtt`,
    `  data             ${config.dataDir} (ports also in runtime.json)`,
  ];
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
