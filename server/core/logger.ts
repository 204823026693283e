import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Log lines kept in memory while stdout cannot take them (a full disk under a redirected stdout, a stalled pipe):
 * past this, new lines are dropped and counted rather than growing the heap without bound.
 */
const maxPendingLogBytes = 8 * 1024 * 1024;

type Destination = ReturnType<typeof pino.destination>;

/** Log lines dropped since the start because stdout refused them; reported once it takes lines again. */
export interface LogHealth {
  writeErrors: number;
  dropped: number;
  lastError?: string;
}

const destinations = new WeakMap<Logger, { stdout: Destination; health: LogHealth }>();

/** The root logger; modules take a child named for themselves (`log.child({ module: 'broker' })`). */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  if (destination) return pino({ level, base: { app: 'rumah' } }, destination);
  const stdout = pino.destination({ fd: 1, sync: false, maxLength: maxPendingLogBytes });
  const state: LogHealth = { writeErrors: 0, dropped: 0 };
  neverBlockOnExit(stdout, state);
  const log = pino({ level, base: { app: 'rumah' } }, stdout);
  destinations.set(log, { stdout, health: state });
  return log;
}

export function logHealth(log: Logger): LogHealth | undefined {
  return destinations.get(log)?.health;
}

/**
 * Resolves once every line logged so far has reached stdout, or after `maxMs` (a full disk, a stalled pipe):
 * what cannot be written by then is left behind rather than holding the exit. (sonic-boom's `flush(cb)` calls back
 * at once with `minLength` 0, and its `flushSync` can block forever; an empty write is queued behind the pending
 * ones, and 'drain' follows the last of them.)
 */
export function drainLog(log: Logger, maxMs = 1000): Promise<void> {
  const stdout = destinations.get(log)?.stdout;
  if (!stdout) return new Promise((resolve) => log.flush(() => resolve()));
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stdout.off('drain', done);
      stdout.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    stdout.once('drain', done);
    stdout.once('error', done);
    stdout.write('');
  });
}

/**
 * A write to stdout that fails with anything but EAGAIN (ENOSPC on a full disk, EIO) must not stop the hub, and the
 * process must never block on its log at exit. sonic-boom 4's `flushSync`, which pino runs from a `process.on('exit')`
 * handler, retries every failed write forever with a synchronous sleep: on a full disk the process hung at exit,
 * deaf to SIGTERM. So: write errors are counted (the lines stay buffered, up to maxPendingLogBytes, and are written
 * when the disk takes them again), lines past the bound are dropped and counted, and the synchronous flush at exit
 * is off — main.ts waits for an asynchronous flush (1 s at most) before it exits instead.
 */
function neverBlockOnExit(stdout: Destination, state: LogHealth): void {
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    state.writeErrors++;
    state.lastError = err.code ?? err.message;
  });
  stdout.on('drop', () => {
    state.dropped++;
  });
  stdout.flushSync = () => {};
}
