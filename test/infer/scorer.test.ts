import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { FEATURE_INDEX, type FeatureName } from '../../src/flows/columns.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { Scorer } from '../../src/infer/scorer.ts';
import type { Verdict } from '../../src/infer/verdict.ts';
import type { ScorerOptionsInput } from '../../src/infer/scorer-options.ts';
import { makeFixtureModel, makeFlowRecord, type FixtureModel } from './model-fixture.ts';

let model: FixtureModel;
let modelV2: FixtureModel;
let featureNames: string[];
const scorers: Scorer[] = [];

beforeAll(() => {
  model = makeFixtureModel();
  modelV2 = makeFixtureModel({ version: 'fixture-2', seed: 11 });
  featureNames = JSON.parse(readFileSync(model.cardPath, 'utf8')).featureNames;
});
afterAll(() => {
  model?.remove();
  modelV2?.remove();
});
afterEach(async () => {
  for (const scorer of scorers.splice(0)) await scorer.close();
});

async function startScorer(options: Partial<ScorerOptionsInput> = {}): Promise<Scorer> {
  const scorer = new Scorer({ modelPath: model.modelPath, ...options }, { flowMeterMode: 'corrected' });
  scorers.push(scorer);
  await scorer.start();
  return scorer;
}

/** Collects verdicts until `count` have arrived or the deadline passes. */
function collect(scorer: Scorer, count: number, timeoutMs = 10_000): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${verdicts.length} of ${count} verdicts within ${timeoutMs} ms`)), timeoutMs);
    scorer.on('verdicts', (batch: Verdict[]) => {
      verdicts.push(...batch);
      if (verdicts.length >= count) {
        clearTimeout(timer);
        resolve(verdicts);
      }
    });
  });
}

/** A flow whose model inputs equal one row of a reference window (card order). */
function recordFromRow(row: number[], srcAddr: string): FlowRecord {
  const record = makeFlowRecord({ srcAddr, fill: 0 });
  featureNames.forEach((name, i) => {
    if (name === 'Protocol') record.protocol = row[i];
    else record.features[FEATURE_INDEX[name as FeatureName]] = row[i];
  });
  return record;
}

describe('scorer', () => {
  it('matches the PyTorch outputs for the same windows', async () => {
    const scorer = await startScorer();
    const { windows, probabilities } = model.expected;
    // Window 2 starts with seven padding rows: a source with three flows must score the same.
    const sent: Array<{ record: FlowRecord; expected?: number }> = [];
    windows.forEach((window, w) => {
      const rows = w === 2 ? window.slice(7) : window;
      rows.forEach((row, r) => sent.push({ record: recordFromRow(row, `192.0.2.${10 + w}`), expected: r === rows.length - 1 ? probabilities[w] : undefined }));
    });
    const arrived = collect(scorer, sent.length);
    for (const { record } of sent) expect(scorer.submit(record)).toBe('queued');
    const verdicts = new Map((await arrived).map((v) => [v.flowRecordId, v]));
    for (const { record, expected } of sent) {
      if (expected !== undefined) expect(verdicts.get(record.id)!.probability).toBeCloseTo(expected, 5);
    }
  });

  it('fills every verdict field', async () => {
    const scorer = await startScorer();
    const record = makeFlowRecord({ srcAddr: '203.0.113.5', protocol: 17, featureValues: { 'Total Fwd Packets': 3, 'Total Backward Packets': 2, 'Total Length of Fwd Packets': 100, 'Total Length of Bwd Packets': 50 } });
    const arrived = collect(scorer, 1);
    scorer.submit(record);
    const [verdict] = await arrived;
    expect(verdict).toMatchObject({
      flowRecordId: record.id,
      flowId: record.flowId,
      ipVersion: 4,
      srcAddr: '203.0.113.5',
      srcPort: record.srcPort,
      dstAddr: record.dstAddr,
      dstPort: record.dstPort,
      protocol: 17,
      startUs: record.startUs,
      endUs: record.endUs,
      packets: 5,
      bytes: 150,
      modelVersion: 'fixture-1',
    });
    expect(verdict.probability).toBeGreaterThan(0.5);
    expect(verdict.label).toBe('attack');
    expect(Math.abs(verdict.scoredAtMs - Date.now())).toBeLessThan(5000);
    expect(scorer.recentVerdicts(1)[0]).toEqual(verdict);
  });

  it('labels at the card threshold', async () => {
    const scorer = await startScorer();
    const arrived = collect(scorer, 2);
    scorer.submit(makeFlowRecord({ srcAddr: '203.0.113.6', protocol: 6 }));
    scorer.submit(makeFlowRecord({ srcAddr: '203.0.113.7', protocol: 17 }));
    const verdicts = await arrived;
    const bySource = Object.fromEntries(verdicts.map((v) => [v.srcAddr, v]));
    expect(bySource['203.0.113.6'].label).toBe('benign');
    expect(bySource['203.0.113.6'].probability).toBeLessThan(0.5);
    expect(bySource['203.0.113.7'].label).toBe('attack');
  });

  it('counts non-finite windows and never sends them', async () => {
    const scorer = await startScorer();
    expect(scorer.submit(makeFlowRecord({ featureValues: { 'Flow Bytes/s': Number.NaN } }))).toBe('non-finite');
    expect(scorer.submit(makeFlowRecord({ featureValues: { 'Flow Packets/s': Number.POSITIVE_INFINITY } }))).toBe('non-finite');
    const arrived = collect(scorer, 1);
    scorer.submit(makeFlowRecord());
    await arrived;
    await scorer.drain();
    expect(scorer.stats()).toMatchObject({ nonFiniteWindows: 2, scoredWindows: 1, submittedFlows: 3 });
  });

  it('drops and counts windows past the queue bound', async () => {
    const scorer = await startScorer({ maxQueuedWindows: 100, maxBatchSize: 32 });
    let dropped = 0;
    for (let i = 0; i < 1000; i++) if (scorer.submit(makeFlowRecord({ srcAddr: `10.0.${i >> 8}.${i & 255}` })) === 'dropped') dropped++;
    await scorer.drain();
    const stats = scorer.stats();
    expect(dropped).toBe(900);
    expect(stats.droppedWindows).toBe(900);
    expect(stats.scoredWindows).toBe(100);
    expect(stats.queuedWindows).toBe(0);
  });

  it('batches windows submitted together', async () => {
    const scorer = await startScorer({ maxBatchSize: 64 });
    const arrived = collect(scorer, 640);
    for (let i = 0; i < 640; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.1.${i >> 8}.${i & 255}` }));
    await arrived;
    expect(scorer.stats().batches).toBeLessThanOrEqual(12);
  });

  it('holds a partial batch for the flush delay', async () => {
    const scorer = await startScorer({ dispatchWhenIdle: false, flushDelayMs: 50, maxBatchSize: 64 });
    const arrived = collect(scorer, 3);
    const started = performance.now();
    for (let i = 0; i < 3; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.5.0.${i}` }));
    await arrived;
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(scorer.stats().batches).toBe(1);
  });

  it('swaps the model without losing queued windows', async () => {
    const scorer = await startScorer({ maxBatchSize: 16, maxBatchesInFlight: 1 });
    const arrived = collect(scorer, 400);
    for (let i = 0; i < 200; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.2.0.${i & 255}` }));
    const reloaded = scorer.reload(modelV2.modelPath);
    for (let i = 0; i < 100; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.2.1.${i & 255}` }));
    expect((await reloaded).modelVersion).toBe('fixture-2');
    for (let i = 0; i < 100; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.2.2.${i & 255}` }));
    const verdicts = await arrived;
    expect(verdicts).toHaveLength(400);
    expect(new Set(verdicts.map((v) => v.flowRecordId)).size).toBe(400);
    const versions = verdicts.map((v) => v.modelVersion);
    // Verdicts arrive in submission order; the version switches once and never back.
    expect(versions.lastIndexOf('fixture-1')).toBeLessThan(versions.indexOf('fixture-2'));
    expect(versions.slice(-100).every((v) => v === 'fixture-2')).toBe(true);
    expect(scorer.stats().droppedWindows).toBe(0);
  });

  it('keeps the old model when a reload fails', async () => {
    const scorer = await startScorer();
    await expect(scorer.reload(join(model.dir, 'absent.onnx'))).rejects.toMatchObject({ code: 'FG_ERR_MODEL_CARD_NOT_FOUND' });
    const arrived = collect(scorer, 1);
    scorer.submit(makeFlowRecord());
    expect((await arrived)[0].modelVersion).toBe('fixture-1');
  });

  it('keeps a bounded ring of recent verdicts', async () => {
    const scorer = await startScorer({ recentVerdicts: 5 });
    const arrived = collect(scorer, 20);
    const records = Array.from({ length: 20 }, (_, i) => makeFlowRecord({ srcAddr: `10.3.0.${i}` }));
    for (const record of records) scorer.submit(record);
    await arrived;
    expect(scorer.recentVerdicts().map((v) => v.flowRecordId)).toEqual(records.slice(-5).reverse().map((r) => r.id));
  });

  it('appends verdicts to a rotated JSON-lines log', async () => {
    const path = join(model.dir, 'verdicts.jsonl');
    const scorer = await startScorer({ verdictLog: { path, maxBytes: 8192, maxFiles: 2 } });
    // Five rounds of about 13 kB each, so each round rotates the file at least once.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) scorer.submit(makeFlowRecord({ srcAddr: `10.4.${round}.${i}` }));
      await scorer.drain();
    }
    await scorer.close();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const lines = [path, `${path}.1`].flatMap((file) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean));
    const first = JSON.parse(lines[0]) as Verdict;
    expect(first.modelVersion).toBe('fixture-1');
    expect(readFileSync(`${path}.1`, 'utf8').length).toBeGreaterThanOrEqual(8192);
  });

  it('rejects submissions after close', async () => {
    const scorer = await startScorer();
    await scorer.close();
    expect(scorer.submit(makeFlowRecord())).toBe('closed');
  });
});
