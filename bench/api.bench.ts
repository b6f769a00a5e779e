/**
 * API latency under load: GET /blocks and GET /stats while events stream in, measured two ways.
 *
 * Synthetic feed: MemoryGatewayServices fed by SyntheticFeed as fast as the event loop allows,
 * without capture, flow meter or model. It isolates the API's own cost.
 *
 * Gateway replay: the real Gateway (flow meter, LSTM scorer in its worker, policy, enforcer with
 * the in-memory backend, API) replays a generated flood capture in a loop at full speed. Blocks
 * stay in memory, so no nft command runs.
 *
 * Both runs have one live-stream client connected and 2,000 active blocks. The load generator
 * runs in a worker thread, so its own work does not count as server latency.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchOptions } from './run.ts';
import { runLoad, StreamReader, summarizeLatencies } from './api-load.ts';
import { MemoryGatewayServices } from '../src/api/memory-services.ts';
import { ApiServer } from '../src/api/server.ts';
import { SyntheticFeed } from '../src/api/synthetic-feed.ts';
import { resolveConfig } from '../src/gateway/config.ts';
import { Gateway } from '../src/gateway/gateway.ts';
import { silentLogger } from '../src/log.ts';
import { writeFloodMixPcap } from '../test/helpers/synthetic-pcap.ts';

export const name = 'api';

const FLOWS_PER_BATCH = 200;
const ACTIVE_BLOCKS = 2_000;
const CONCURRENCY = 8;
const PATHS = ['/blocks', '/stats'];
const MODEL = new URL('../models/flowguard-default.onnx', import.meta.url).pathname;

type Figures = Record<string, number | string>;

export async function run(options: BenchOptions): Promise<Figures> {
  const synthetic = await runSyntheticFeed(options);
  const replay = await runGatewayReplay(options);
  return { ...synthetic, ...replay };
}

/** Prefill: 2,000 distinct host blocks of an hour in 198.18.0.0/15, the benchmarking range. */
function prefillTarget(index: number): string {
  return `198.${18 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
}

async function runSyntheticFeed(options: BenchOptions): Promise<Figures> {
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
    services.blockAutomatically({ target: prefillTarget(i), durationMs: 3_600_000, reason: 'bench' });
  }
  const stream = new StreamReader();
  await stream.open(server.url!);

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

  options.log(`  synthetic feed: ${CONCURRENCY} connections for ${durationMs / 1000} s against ${server.url} with ${ACTIVE_BLOCKS} active blocks`);
  // Event-loop delay of the server's thread separates queueing behind the feed from route cost.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const started = Date.now();
  setImmediate(feedLoop);
  const result = await runLoad({ url: server.url!, paths: PATHS, durationMs, maxRequests: 2_000_000, concurrency: CONCURRENCY });
  const elapsedS = (Date.now() - started) / 1000;
  feeding = false;
  loopDelay.disable();
  await stream.close();
  await server.close();
  await services.close();

  const blocks = summarizeLatencies(result.latencies['/blocks']);
  const stats = summarizeLatencies(result.latencies['/stats']);
  return {
    syntheticFeedServices: 'MemoryGatewayServices with SyntheticFeed at full speed, 1 live-stream client',
    syntheticFeedActiveBlocks: ACTIVE_BLOCKS,
    syntheticFeedFlowsPerSecond: Math.round(flows / elapsedS),
    syntheticFeedRequestsPerSecond: Math.round(result.sent / elapsedS),
    syntheticFeedRequestErrors: result.errors,
    syntheticFeedBlocksP50LatencyMs: blocks.p50Ms,
    syntheticFeedBlocksP99LatencyMs: blocks.p99Ms,
    syntheticFeedStatsP50LatencyMs: stats.p50Ms,
    syntheticFeedStatsP99LatencyMs: stats.p99Ms,
    syntheticFeedStreamReceivedBytes: stream.receivedBytes,
    syntheticFeedEventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    syntheticFeedEventLoopDelayMaxMs: loopDelay.max / 1e6,
  };
}

/**
 * The generated flood: 4 attackers (10.2.0.1 to 10.2.0.4) and 64 benign clients (10.1.0.x). Its
 * 90,000 attack connections at 1,500/s span 60 s of capture time, far more than the flow meter's
 * 5 s TCP linger, so flows are exported all through a pass and not only by the flush at its end.
 */
const FLOOD = {
  attackFlows: 90_000,
  attackers4: [0x0a020001, 0x0a020002, 0x0a020003, 0x0a020004],
  attackFlowsPerSecond: 1_500,
  attackFlowsPerBenignFlow: 6,
  benignClients4: Array.from({ length: 64 }, (_, i) => 0x0a010001 + i),
  exchangesPerBenignFlow: 2,
};

async function runGatewayReplay(options: BenchOptions): Promise<Figures> {
  if (!existsSync(MODEL)) {
    options.log(`  gateway replay: skipped because ${MODEL} is missing`);
    return { replaySkipped: `${MODEL} is missing` };
  }
  const durationMs = options.full ? 30_000 : 10_000;
  const directory = await mkdtemp(join(tmpdir(), 'fg-api-bench-'));
  const gateway = await (async () => {
    const file = join(directory, 'flood.pcap');
    const packetsPerPass = writeFloodMixPcap(file, FLOOD);
    options.log(`  gateway replay: ${packetsPerPass.toLocaleString('en-US')} packets per pass of ${file}`);
    const config = resolveConfig({ stateDirectory: join(directory, 'state'), api: { port: 0 }, enforcement: { monitor: false }, scorer: { modelPath: MODEL } });
    return new Gateway({ config, logger: silentLogger(), memoryBackend: true, source: { kind: 'replay', file, pace: 'full', loop: true } });
  })();

  try {
    await gateway.start();
    const apiUrl = gateway.apiUrl!;
    const prefill = Array.from({ length: ACTIVE_BLOCKS }, (_, i) =>
      gateway.services.blocks.add({ target: prefillTarget(i), durationMs: 3_600_000, reason: 'bench prefill', actor: 'bench' }),
    );
    await Promise.all(prefill);
    const stream = new StreamReader();
    await stream.open(apiUrl);

    options.log(`  gateway replay: ${CONCURRENCY} connections for ${durationMs / 1000} s against ${apiUrl} with ${ACTIVE_BLOCKS} manual blocks`);
    const before = await gateway.services.stats();
    const countersBefore = { ...gateway.detection.counters };
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const started = Date.now();
    const result = await runLoad({ url: apiUrl, paths: PATHS, durationMs, maxRequests: 2_000_000, concurrency: CONCURRENCY });
    const elapsedS = (Date.now() - started) / 1000;
    loopDelay.disable();
    const after = await gateway.services.stats();
    const counters = gateway.detection.counters;
    await stream.close();

    const blocks = summarizeLatencies(result.latencies['/blocks']);
    const stats = summarizeLatencies(result.latencies['/stats']);
    const autoBlocks = (await gateway.services.blocks.list({ offset: 0, limit: 1, state: 'active', origin: 'auto' })).total;
    return {
      replayPipeline: 'Gateway replaying a SYN flood of 4 hosts mixed with HTTP-like flows, pace full, in a loop, 1 live-stream client',
      replayActiveBlocks: after.activeBlocks,
      replayAutoBlocks: autoBlocks,
      replayPacketsPerSecond: Math.round((after.packets - before.packets) / elapsedS),
      replayFlowsPerSecond: Math.round((after.flows - before.flows) / elapsedS),
      replayVerdictsPerSecond: Math.round((counters.verdicts - countersBefore.verdicts) / elapsedS),
      replayDroppedWindows: counters.droppedWindows - countersBefore.droppedWindows,
      replayRequestsPerSecond: Math.round(result.sent / elapsedS),
      replayRequestErrors: result.errors,
      replayBlocksP50LatencyMs: blocks.p50Ms,
      replayBlocksP99LatencyMs: blocks.p99Ms,
      replayBlocksMaxLatencyMs: blocks.maxMs,
      replayStatsP50LatencyMs: stats.p50Ms,
      replayStatsP99LatencyMs: stats.p99Ms,
      replayStatsMaxLatencyMs: stats.maxMs,
      replayStreamReceivedBytes: stream.receivedBytes,
      replayEventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      replayEventLoopDelayMaxMs: loopDelay.max / 1e6,
    };
  } finally {
    await gateway.stop();
    await rm(directory, { recursive: true, force: true });
  }
}
