import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  level?: LoggerOptions['level'];
  /** Write JSON lines to this file descriptor or path; standard error by default. */
  destination?: number | string;
}

/** Creates the root logger. Components take a child with `logger.child({ component })`. */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = pino.destination({ dest: options.destination ?? 2, sync: false });
  return pino({ level: options.level ?? 'info', base: { service: 'flowguard' } }, destination);
}

/** A logger that drops everything, for library use and tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
