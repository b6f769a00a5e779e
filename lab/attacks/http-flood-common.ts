import http from 'node:http';
import type { AttackToolResult, HttpAttackConfig } from './attack-config.ts';
import { assertLabAddress } from '../addresses.ts';

/** Line a tool prints once it is loaded and about to send; the runner times the attack from it. */
export const STARTED_LINE = '{"type":"started"}';

/**
 * Reads the JSON configuration argument, checks the target lies inside the lab and prints
 * `STARTED_LINE`.
 */
export function readAttackConfig(tool: string): HttpAttackConfig {
  const config = JSON.parse(process.argv[2] ?? '{}') as HttpAttackConfig;
  assertLabAddress(config.targetAddress, tool);
  process.stdout.write(`${STARTED_LINE}\n`);
  return config;
}

/** Counters every tool keeps; printed as the final result line. */
export function createCounters(tool: string): AttackToolResult {
  return { type: 'result', tool, requests: 0, responses: 0, errors: 0, connections: 0 };
}

/**
 * Returns a signal aborted after the configured duration or on SIGTERM/SIGINT, whichever comes
 * first, so every tool is bounded in time even if its runner dies.
 */
export function stopSignal(durationMs: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), durationMs);
  const stop = () => {
    clearTimeout(timer);
    controller.abort();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return controller.signal;
}

export function printResult(result: AttackToolResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Host header value for an address (IPv6 literals in brackets). */
export function hostHeader(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Sends one request and resolves once the response has been read or the request failed; never
 * rejects. Counts the request, its response or its error in `counters`. `afterResponse` runs on
 * the request once the response body ended (HULK closes its connection there).
 */
export function sendCountedRequest(
  options: http.RequestOptions,
  counters: AttackToolResult,
  body?: string,
  afterResponse?: (req: http.ClientRequest) => void,
): Promise<void> {
  counters.requests++;
  return new Promise((resolve) => {
    const req = http.request({ ...options, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => {
        counters.responses++;
        afterResponse?.(req);
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', () => {
      counters.errors++;
      resolve();
    });
    req.end(body);
  });
}
