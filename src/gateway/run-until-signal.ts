import type { Logger } from '../log.ts';
import type { Gateway } from './gateway.ts';

/**
 * Keeps a started gateway running until SIGTERM or SIGINT (graceful stop) and reloads on
 * SIGHUP with `reloadConfig`. A second SIGTERM/SIGINT during the stop exits at once.
 */
export function runUntilSignal(gateway: Gateway, logger: Logger, reloadConfig?: () => Promise<Parameters<Gateway['reload']>[0]>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second stop signal; exiting without draining');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      gateway.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'gateway failed to stop cleanly');
          resolve(1);
        },
      );
    };
    const reload = () => {
      if (!reloadConfig || stopping) return;
      logger.info('SIGHUP: reloading config and model');
      reloadConfig()
        .then((config) => gateway.reload(config))
        .catch((err: unknown) => logger.error({ err }, 'reload rejected; the running config stays in force'));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
  });
}
