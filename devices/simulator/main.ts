#!/usr/bin/env node
import { createLogger } from '../../server/core/logger.js';
import { isRumahError } from '../../server/core/errors.js';
import { parseCli, usage } from './args.js';
import { startSimulation, type Simulation } from './simulation.js';

// `npm run simulate -- --devices 50 [...]`: starts a simulation, prints progress every few seconds, stops cleanly
// on Ctrl-C / SIGTERM or after --duration (every device offline first), and exits.

const PROGRESS_MS = 5000;

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (!cli.ok) {
    process.stderr.write(cli.help ? usage : `simulate: ${cli.errors.join('\nsimulate: ')}\n\n${usage}`);
    return cli.help ? 0 : 2;
  }
  const { sim: options, duration, logLevel, note } = cli.value;
  if (note) process.stderr.write(`simulate: ${note}\n`);
  const anonymous = !options.credentials && !options.pair && !options.dataDir;
  if (anonymous) process.stderr.write('simulate: no credentials: connecting anonymously (the hub needs mqtt.allowAnonymous); see --data, --username, --pair\n');
  const log = createLogger(logLevel as 'warn', process.stderr);
  let sim: Simulation;
  try {
    sim = await startSimulation({ ...options, log });
  } catch (err) {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    return isRumahError(err) ? 2 : 1;
  }
  const started = Date.now();
  const out = (line: string): boolean => process.stdout.write(line + '\n');
  out(`simulating ${sim.devices.length} ${sim.convention} devices on ${sim.stats.connections} connection(s) → ${options.url}, ${round(sim.rate)} msg/s (seed ${sim.seed})`);
  if (options.pair) {
    const names = sim.connections().map((c) => c.username);
    out(`pairing: open the hub's join window and accept ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`);
  }

  let lastPublished = 0;
  let lastAt = started;
  /** Rejections per connection already reported: only new ones are warned about. */
  const reported = new Map<string, number>();
  const progress = setInterval(() => {
    // Devices the hub turned down since the last line (link.ts `rejected`): loud, on stderr, with the reason.
    const refusedNow = sim.connections().filter((c) => c.rejected > (reported.get(c.clientId) ?? 0));
    for (const c of refusedNow) reported.set(c.clientId, c.rejected);
    const refusedDevices = refusedNow.reduce((n, c) => n + c.devices.length, 0);
    const refusedUp = refusedNow.filter((c) => c.connected).reduce((n, c) => n + c.devices.length, 0);
    if (refusedNow.length > 0) {
      const lines = refusedNow.slice(0, 5).map((c) => `  ${c.devices.slice(0, 3).join(', ')}${c.devices.length > 3 ? ` and ${c.devices.length - 3} more` : ''} (account ${c.username ?? 'anonymous'}): ${c.problem}`);
      if (refusedNow.length > 5) lines.push(`  and ${refusedNow.length - 5} more connections`);
      lines.push('  Their topics may belong to another account (a real device, an earlier run): --prefix NAME gives the simulation its own topics.');
      process.stderr.write(`simulate: WARNING: the hub refused ${refusedDevices} device${refusedDevices === 1 ? '' : 's'}:\n${lines.join('\n')}\n`);
    }
    const s = sim.stats;
    const now = Date.now();
    const rate = ((s.published - lastPublished) * 1000) / Math.max(1, now - lastAt);
    lastPublished = s.published;
    lastAt = now;
    const why = anonymous ? 'anonymous clients not allowed?' : options.pair ? 'waiting for the join window' : 'credentials refused';
    const waiting = s.refused > 0 && s.connected < s.devices ? `  refused ${s.refused} (${why})` : '';
    const refusedText = refusedDevices > 0 ? `, ${refusedDevices} REFUSED` : '';
    out(`${String(Math.round((now - started) / 1000)).padStart(5)}s  ${s.connected - refusedUp}/${s.devices} connected${refusedText}  ${round(rate)} msg/s  published ${s.published}  commands ${s.commandsReceived}${waiting}`);
  }, PROGRESS_MS);

  await new Promise<void>((resolve) => {
    const timer = duration ? setTimeout(resolve, duration * 1000) : undefined;
    const onSignal = (): void => {
      clearTimeout(timer);
      // A second Ctrl-C does not wait for the clean stop.
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  clearInterval(progress);
  await sim.stop();
  const s = sim.stats;
  out(`stopped after ${round((Date.now() - started) / 1000)} s: published ${s.published} (telemetry ${s.telemetry}), commands ${s.commandsReceived}, confirmations ${s.confirmations}`);
  return 0;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets and timers are closed by stop(); exit now anyway rather than wait on a straggler.
  setTimeout(() => process.exit(code), 100).unref();
});
