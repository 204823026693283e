#!/usr/bin/env node
import './quiet-debug.js'; // before any dependency that logs with `debug`
import './core-streams.js'; // before mqtt-packet loads readable-stream
import { loadConfig } from './config/load.js';
import { isRumahError, ErrorCodes } from './core/errors.js';
import { createLogger, drainLog } from './core/logger.js';
import { Hub } from './hub.js';
import { printBanner } from './banner.js';
import { scryptEngine } from './auth/scrypt-kdf.js';

/** Process entry: configuration, signals and exit codes. Everything else is built by the Hub. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ argv: process.argv.slice(2) });
  } catch (err) {
    if (isRumahError(err) && err.code === ErrorCodes.CONFIG_INVALID) {
      process.stderr.write(`rumah: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  // The first-run page's restore: this hub stops and a new one starts on the restored folder (docs/backup.md).
  const restart = (): void => {
    log.warn('restarting onto the restored backup');
    void hub.stop().then(async () => {
      // The restored folder's rumah.yaml is now the one to follow (its ports, TLS...); a bad one exits 2 as at start.
      config = loadConfig({ argv: process.argv.slice(2) });
      hub = new Hub({ config, log, restart });
      printBanner(config, await hub.start(), hub.setupCode);
    }).catch((err: unknown) => {
      process.stderr.write(`rumah: cannot start after the restore: ${isRumahError(err) ? `${err.code}: ${err.message}` : (err as Error).stack}\n`);
      process.exit(exitCodeFor(err));
    });
  };
  let hub = new Hub({ config, log, adminPassword: process.env.RUMAH_ADMIN_PASSWORD || undefined, restart });

  let exiting = false;
  const shutdown = (signal: string, code = 0): void => {
    if (exiting) return;
    exiting = true;
    log.info({ signal }, 'stopping');
    // Stop takes ~30 ms to a few hundred (history flushed, databases closed); if something hangs, leave after 5 s.
    const force = setTimeout(() => {
      log.error('stop took longer than 5 s; exiting without waiting');
      process.exit(code || 1);
    }, 5000);
    force.unref();
    hub.stop().then(
      async () => {
        log.info('stopped');
        await drainLog(log);
        process.exit(code);
      },
      (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('uncaughtException', (err) => {
    // A bug of ours, not a device's doing: log it, save what we can, and let the supervisor restart us.
    // Level error, not fatal: pino's fatal flushes synchronously, which can block (see drainLog).
    log.error({ err, fatal: true }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });

  try {
    const runtime = await hub.start();
    printBanner(config, runtime, hub.setupCode);
    log.info({ ...runtime, dataDir: config.dataDir }, 'rumah is running');
    // After the start, not during it: this loads libsodium (5–9 ms) if no hash has yet (server/auth/scrypt-kdf.ts).
    if (scryptEngine() === 'openssl') log.info('passwords are hashed with OpenSSL\'s scrypt: the optional sodium-native is not installed for this platform, so a reconnect storm after a restart takes ~1.25× longer');
  } catch (err) {
    const message = isRumahError(err) ? `${err.code}: ${err.message}` : (err as Error).stack;
    process.stderr.write(`rumah: cannot start: ${message}\n`);
    log.error({ err, fatal: true }, 'start failed');
    await hub.stop();
    await drainLog(log);
    process.exit(exitCodeFor(err));
  }
}

/**
 * 2: fix the configuration; 3: the data needs a person (corrupt, unreadable, unwritable, or used by another hub).
 * A supervisor should not restart on either (systemd: RestartPreventExitStatus=2 3): a restart loop would only repeat it.
 */
function exitCodeFor(err: unknown): number {
  if (!isRumahError(err)) return 1;
  // A certificate that cannot be used is fixed in the configuration or its files, like a bad setting.
  // A wrong aedes is fixed by installing the pinned one (npm ci): restarting would only repeat it.
  if (err.code === ErrorCodes.CONFIG_INVALID || err.code === ErrorCodes.TLS_CERT || err.code === ErrorCodes.AEDES_CONTRACT) return 2;
  if (err.code === ErrorCodes.DB_OPEN || err.code === ErrorCodes.DATA_DIR_UNWRITABLE || err.code === ErrorCodes.DATA_DIR_IN_USE) return 3;
  return 1;
}

void main();
