import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The root logger; modules take a child named for themselves (`log.child({ module: 'broker' })`). */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { app: 'rumah' } }, destination ?? pino.destination({ fd: 1, sync: false }));
}
