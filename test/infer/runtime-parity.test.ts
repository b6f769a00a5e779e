import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createCsvWriter } from '../../src/flows/csv-writer.ts';
import { extractFile } from '../../src/flows/extract-file.ts';
import { openFileSink } from '../../src/flows/flow-sink.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { loadModelCard } from '../../src/infer/model-card.ts';
import { WindowBuilder } from '../../src/infer/window-builder.ts';
import { REPO_ROOT, hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';

const MODEL = join(REPO_ROOT, 'models', 'flowguard-default');

interface ParityDump {
  inputName: string;
  outputName: string;
  shape: [number, number, number];
  windows: number[][][];
  probabilities: number[];
  rows: number[];
  groups: string[];
}

/**
 * The runtime must build exactly the windows training builds, and the ONNX model must score them
 * as PyTorch does. The flows come from a real capture through flowguard's own flow meter; Python
 * builds its windows from the CSV of those flows, the TypeScript WindowBuilder from the records.
 */
describe.skipIf(!hasSharedData)('runtime windows against the training pipeline', () => {
  reportMissingSharedData('runtime parity');
  const work = mkdtempSync(join(tmpdir(), 'flowguard-parity-'));

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('builds the same windows and scores them within 1e-5', async () => {
    const capture = sharedPath('pcaps', 'attacks', 'joamontesgi_slowhttptest.pcap');
    const csvPath = join(work, 'flows.csv');
    const records: FlowRecord[] = [];
    const writer = createCsvWriter(openFileSink(csvPath), { label: () => 'unknown' });
    try {
      await extractFile(capture, { mode: 'corrected' }, (record) => {
        writer.write(record);
        // Feature arrays are views into buffers the meter reuses: keep a copy.
        records.push({ ...record, features: Float64Array.from(record.features) });
      });
    } finally {
      writer.close();
    }

    const dumpPath = join(work, 'parity.json');
    const parity = await execa('/usr/bin/python3', ['train/parity.py', '--model', MODEL, '--data', csvPath, '--count', '300', '-o', dumpPath], {
      cwd: REPO_ROOT,
      reject: false,
      all: true,
    });
    expect(parity.exitCode, parity.all).toBe(0);
    const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as ParityDump;
    const [count, length, features] = dump.shape;
    expect(count).toBeGreaterThanOrEqual(200);

    const { card } = await loadModelCard(`${MODEL}.onnx`, { flowMeterMode: 'corrected', windowLength: length });
    const builder = new WindowBuilder(card, { windowLength: length, maxSources: 100_000 });
    const windowSize = length * features;
    const scratch = new Float32Array(windowSize);
    const wanted = new Map(dump.rows.map((row, index) => [row, index]));
    const runtimeWindows = new Float32Array(count * windowSize);
    records.forEach((record, row) => {
      expect(builder.append(record, scratch, 0)).toBe('ok');
      const index = wanted.get(row);
      if (index !== undefined) runtimeWindows.set(scratch, index * windowSize);
    });

    const trainingWindows = Float32Array.from(dump.windows.flat(2));
    let differing = 0;
    for (let i = 0; i < trainingWindows.length; i++) if (runtimeWindows[i] !== trainingWindows[i]) differing++;
    expect(differing).toBe(0);
    dump.groups.forEach((group, index) => expect(builder.groupOf(records[dump.rows[index]].srcAddr)).toBe(group));

    const session = await ort.InferenceSession.create(`${MODEL}.onnx`);
    try {
      const result = await session.run({ [dump.inputName]: new ort.Tensor('float32', runtimeWindows, [count, length, features]) });
      const probabilities = result[dump.outputName].data as Float32Array;
      let worst = 0;
      for (let index = 0; index < count; index++) worst = Math.max(worst, Math.abs(probabilities[index] - dump.probabilities[index]));
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      await session.release();
    }
  });
});
