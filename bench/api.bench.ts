/**
 * API latency under load: GET /blocks and GET /stats while a synthetic event stream is pushed
 * through the in-memory services as fast as the event loop allows, with one live-stream client
 * connected. The server, the feed and the stream share the main thread, as in the gateway. The
 * load generator runs in a worker thread, so its own work does not count as server latency.
 *
 * NOTE: the services are MemoryGatewayServices fed by SyntheticFeed, not a capture replayed
 * through the real pipeline; the gateway's figure may differ.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { request } from 'undici';
import type { BenchOptions } from './run.ts';
import { MemoryGatewayServices } from '../src/api/memory-services.ts';
import { ApiServer } from '../src/api/server.ts';
import { SyntheticFeed } from '../src/api/synthetic-feed.ts';

export const name = 'api';

const FLOWS_PER_BATCH = 200;
const ACTIVE_BLOCKS = 2_000;
const CONCURRENCY = 8;

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

interface LoadResult {
  latencies: Record<string, number[]>;
  sent: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run(options: BenchOptions): Promise<Record<string, number | string>> {
  const durationMs = options.full ? 30_000 : 8_000;
  const services = new MemoryGatewayServices({ maxBlocks: 10_000 });
  await services.start();
  const server = new ApiServer({ services, options: { port: 0, stream: { verdictsPerSecond: 50 } } });
  await server.start();

  const attackers = Array.from({ length: 50 }, (_, i) => `192.0.2.${i + 1}`);
  const feed = new SyntheticFeed(services, {
    attackers,
    benignSources: Array.from({ length: 200 }, (_, i) => `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`),
    victim: '203.0.113.10',
    attackShare: 0.6,
  });
  for (let i = 0; i < ACTIVE_BLOCKS; i++) {
    services.blockAutomatically({ target: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, durationMs: 3_600_000, reason: 'bench' });
  }

  // One dashboard-like client on the live stream, reading everything it is sent.
  const streamAbort = new AbortController();
  const stream = await request(`${server.url}/events`, { signal: streamAbort.signal });
  let streamBytes = 0;
  const streamReading = (async () => {
    try {
      for await (const chunk of stream.body) streamBytes += chunk.length;
    } catch {
      // Aborted at the end of the run.
    }
  })();

  // The feed runs flat out: one batch per event-loop turn until the load generator finishes.
  let flows = 0;
  let feeding = true;
  const feedLoop = () => {
    if (!feeding) return;
    feed.emitFlows(FLOWS_PER_BATCH);
    flows += FLOWS_PER_BATCH;
    if (flows % 20_000 === 0) feed.blockAttackers(600_000);
    setImmediate(feedLoop);
  };

  options.log(`  load: ${CONCURRENCY} connections for ${durationMs / 1000} s against ${server.url} with ${ACTIVE_BLOCKS} active blocks`);
  // Event-loop delay of the server's thread separates queueing behind the feed from route cost.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const started = Date.now();
  setImmediate(feedLoop);
  const worker = new Worker(LOAD_WORKER, {
    eval: true,
    workerData: { url: server.url, paths: ['/blocks', '/stats'], durationMs, maxRequests: 2_000_000, concurrency: CONCURRENCY },
  });
  const result = await new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const elapsedS = (Date.now() - started) / 1000;
  feeding = false;
  loopDelay.disable();
  await worker.terminate();
  streamAbort.abort();
  await streamReading;
  await server.close();
  await services.close();

  const blocks = [...result.latencies['/blocks']].sort((a, b) => a - b);
  const stats = [...result.latencies['/stats']].sort((a, b) => a - b);
  return {
    services: 'MemoryGatewayServices with SyntheticFeed at full speed, 1 live-stream client',
    activeBlocks: ACTIVE_BLOCKS,
    syntheticFlowsPerSecond: Math.round(flows / elapsedS),
    requestsPerSecond: Math.round(result.sent / elapsedS),
    requestErrors: result.errors,
    blocksP50LatencyMs: percentile(blocks, 50),
    blocksP99LatencyMs: percentile(blocks, 99),
    statsP50LatencyMs: percentile(stats, 50),
    statsP99LatencyMs: percentile(stats, 99),
    streamReceivedBytes: streamBytes,
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: loopDelay.max / 1e6,
  };
}
