/**
 * HTTP load for the API benchmarks: a worker thread sends GET requests over keep-alive
 * connections and times each one, so the client's own work does not count as server latency.
 */
import { Worker } from 'node:worker_threads';
import { request } from 'undici';

export interface LoadOptions {
  url: string;
  /** Paths requested in turn by each connection. */
  paths: string[];
  durationMs: number;
  maxRequests: number;
  concurrency: number;
}

export interface LoadResult {
  /** Latency of every request in milliseconds, by path, in the order sent. */
  latencies: Record<string, number[]>;
  sent: number;
  /** Requests that failed or returned a status other than 200. */
  errors: number;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

// CommonJS source for an eval worker, so the load generator needs no TypeScript loader.
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Pool } = require('undici');
const { url, paths, durationMs, maxRequests, concurrency } = workerData;
const pool = new Pool(url, { connections: concurrency });
const latencies = Object.fromEntries(paths.map((path) => [path, []]));
let sent = 0;
let errors = 0;
const deadline = Date.now() + durationMs;
async function loop(index) {
  let turn = index;
  while (Date.now() < deadline && sent < maxRequests) {
    const path = paths[turn++ % paths.length];
    sent++;
    const started = process.hrtime.bigint();
    try {
      const response = await pool.request({ path, method: 'GET' });
      await response.body.text();
      if (response.statusCode !== 200) errors++;
    } catch {
      errors++;
    }
    latencies[path].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i))).then(async () => {
  await pool.close();
  parentPort.postMessage({ latencies, sent, errors });
});
`;

/** Runs the load until `durationMs` passes or `maxRequests` are sent, and returns the timings. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const worker = new Worker(LOAD_WORKER, { eval: true, workerData: options });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** Summarises latencies: the p50 and p99 are the values at index floor(p% × count) of the sorted list. */
export function summarizeLatencies(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A dashboard-like client of the live stream that reads everything it is sent. */
export class StreamReader {
  readonly #abort = new AbortController();
  #reading: Promise<void> | undefined;
  receivedBytes = 0;

  async open(url: string): Promise<void> {
    const stream = await request(`${url}/events`, { signal: this.#abort.signal });
    this.#reading = (async () => {
      try {
        for await (const chunk of stream.body) this.receivedBytes += chunk.length;
      } catch {
        // The body ends with an abort error when close() runs.
      }
    })();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reading;
  }
}
