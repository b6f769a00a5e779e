import { Worker } from 'node:worker_threads';

const WORKER_EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const WORKER_URL = new URL(`./scoring-worker.${WORKER_EXTENSION}`, import.meta.url);

/**
 * Starts the scoring worker. From the TypeScript sources (vitest, tsx) the worker registers
 * tsx's loader first: tsx 4.23 on Node 20 installs its hooks only on the main thread, so
 * `execArgv: ['--import', 'tsx']` leaves a worker unable to load `.ts` files.
 */
export function startScoringWorker(): Worker {
  if (WORKER_EXTENSION === 'js') return new Worker(WORKER_URL, { name: 'flowguard-scoring' });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, name: 'flowguard-scoring' });
}
