/**
 * Inference benchmark: scoring throughput of one worker, flow export → verdict latency at a
 * fixed flow rate, and the main thread's event-loop delay while it runs.
 *
 * Uses the shipped model: models/flowguard-default.onnx, or the first .onnx there. Without one it
 * builds a random-weight model of the reference system's size with Debian's PyTorch (LSTM 64,
 * LSTM 32, dense 16, dense 1 over 10 × 68).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { BenchOptions } from './run.ts';
import { Scorer } from '../src/infer/scorer.ts';
import { FEATURE_COUNT } from '../src/flows/columns.ts';
import type { FlowRecord } from '../src/flows/flow-record.ts';
import type { Verdict } from '../src/infer/verdict.ts';
import { makeFixtureModel } from '../test/infer/model-fixture.ts';

export const name = 'infer';

const REPO_ROOT = new URL('../', import.meta.url).pathname;

export async function run(options: BenchOptions): Promise<Record<string, number | string>> {
  const shipped = findShippedModel();
  const fixture = shipped === undefined ? makeFixtureModel({ arch: 'reference', version: 'bench-reference-size' }) : undefined;
  const modelPath = shipped ?? fixture!.modelPath;
  const cardPath = modelPath.replace(/\.onnx$/, existsSync(modelPath.replace(/\.onnx$/, '.card.json')) ? '.card.json' : '.json');
  const flowMeterMode = JSON.parse(readFileSync(cardPath, 'utf8')).flowMeterMode;
  try {
    const throughputWindows = options.full ? 1_000_000 : 200_000;
    const throughput = await measureThroughput(modelPath, flowMeterMode, throughputWindows, options);
    const latency = await measureLatency(modelPath, flowMeterMode, 10_000, options.full ? 30_000 : 5_000, options);
    return { model: shipped === undefined ? 'random weights, reference size' : modelPath.slice(REPO_ROOT.length), ...throughput, ...latency };
  } finally {
    fixture?.remove();
  }
}

function findShippedModel(): string | undefined {
  const dir = join(REPO_ROOT, 'models');
  if (!existsSync(dir)) return undefined;
  const models = readdirSync(dir).filter((file) => file.endsWith('.onnx')).sort();
  const chosen = models.includes('flowguard-default.onnx') ? 'flowguard-default.onnx' : models[0];
  return chosen === undefined ? undefined : join(dir, chosen);
}

/** Synthetic flows from `sources` addresses with plausible, finite feature values. */
function makeFlows(count: number, sources: number): FlowRecord[] {
  const flows: FlowRecord[] = [];
  for (let i = 0; i < count; i++) {
    const features = new Float64Array(FEATURE_COUNT);
    for (let f = 0; f < FEATURE_COUNT; f++) features[f] = ((i * 7919 + f * 104729) % 10_000) / 7;
    const source = i % sources;
    flows.push({
      id: i + 1,
      flowId: `flow-${i}`,
      mode: 'corrected',
      ipVersion: 4,
      srcAddr: `10.${(source >> 16) & 255}.${(source >> 8) & 255}.${source & 255}`,
      srcPort: 1024 + (i % 60_000),
      dstAddr: '192.0.2.80',
      dstPort: 80,
      protocol: i % 3 === 0 ? 17 : 6,
      startUs: 1_700_000_000_000_000 + i * 100,
      endUs: 1_700_000_000_000_000 + i * 100 + 50,
      exportReason: 'fin',
      handshakeSeen: true,
      icmpType: -1,
      icmpCode: -1,
      features,
    });
  }
  return flows;
}

async function measureThroughput(modelPath: string, flowMeterMode: 'corrected' | 'cic2017', count: number, options: BenchOptions) {
  const scorer = new Scorer({ modelPath, maxBatchSize: 64, maxBatchesInFlight: 2, maxQueuedWindows: 8192 }, { flowMeterMode });
  await scorer.start();
  const flows = makeFlows(Math.min(count, 50_000), 5_000);
  try {
    // Warm up: onnxruntime plans its memory on the first runs.
    for (let i = 0; i < 2_000; i++) scorer.submit(flows[i]);
    await scorer.drain();
    const before = scorer.stats();
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      if (scorer.queuedWindows >= 4096) await scorer.waitForQueueBelow(1024);
      scorer.submit(flows[i % flows.length]);
    }
    await scorer.drain();
    const seconds = (performance.now() - started) / 1000;
    const after = scorer.stats();
    const scored = after.scoredWindows - before.scoredWindows;
    const batches = after.batches - before.batches;
    options.log(`  throughput: ${scored} windows in ${seconds.toFixed(2)} s, ${batches} batches`);
    return {
      windowsScoredPerSecond: Math.round(scored / seconds),
      meanBatchSizeWindows: Math.round((scored / batches) * 10) / 10,
      modelRunMsPerWindow: Math.round(((after.runMsTotal - before.runMsTotal) / scored) * 10_000) / 10_000,
    };
  } finally {
    await scorer.close();
  }
}

async function measureLatency(modelPath: string, flowMeterMode: 'corrected' | 'cic2017', flowsPerSecond: number, durationMs: number, options: BenchOptions) {
  const scorer = new Scorer({ modelPath }, { flowMeterMode });
  await scorer.start();
  const total = Math.round((flowsPerSecond * durationMs) / 1000);
  const flows = makeFlows(total, 2_000);
  const submittedAt = new Float64Array(total + 1);
  const latencies: number[] = [];
  scorer.on('verdicts', (verdicts: Verdict[]) => {
    const now = performance.now();
    for (const verdict of verdicts) latencies.push(now - submittedAt[verdict.flowRecordId]);
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  try {
    for (let i = 0; i < 500; i++) scorer.submit(makeFlows(1, 1)[0]);
    await scorer.drain();
    latencies.length = 0;
    loopDelay.enable();
    const started = performance.now();
    let sent = 0;
    // Each timer tick submits the flows that are due, like a flow meter exporting as packets arrive.
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * flowsPerSecond) / 1000));
        while (sent < due) {
          const flow = flows[sent++];
          submittedAt[flow.id] = performance.now();
          scorer.submit(flow);
        }
        if (sent < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    await scorer.drain();
    loopDelay.disable();
    const elapsedS = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 1000) / 1000;
    const stats = scorer.stats();
    options.log(`  latency: ${latencies.length} verdicts at ${Math.round(total / elapsedS)} flows/s, ${stats.droppedWindows} dropped`);
    return {
      latencyFlowsPerSecond: Math.round(total / elapsedS),
      exportToVerdictP50Ms: at(0.5),
      exportToVerdictP99Ms: at(0.99),
      exportToVerdictMaxMs: at(1),
      eventLoopDelayP99Ms: Math.round((loopDelay.percentile(99) / 1e6) * 1000) / 1000,
      eventLoopDelayMaxMs: Math.round((loopDelay.max / 1e6) * 1000) / 1000,
      latencyDroppedWindows: stats.droppedWindows,
    };
  } finally {
    await scorer.close();
  }
}
