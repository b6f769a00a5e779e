import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';

import { createCsvWriter } from '../../src/flows/csv-writer.ts';
import { extractFile } from '../../src/flows/extract-file.ts';
import { openFileSink } from '../../src/flows/flow-sink.ts';
import { REPO_ROOT, hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';

const MODEL = join(REPO_ROOT, 'models', 'flowguard-default');
const card = JSON.parse(readFileSync(MODEL + '.card.json', 'utf8'));

interface ParityDump {
  inputName: string;
  outputName: string;
  shape: [number, number, number];
  windows: number[][][];
  probabilities: number[];
}

describe('shipped default model', () => {
  it('card matches the corrected flow meter', () => {
    expect(card.formatVersion).toBe(1);
    expect(card.flowMeterMode).toBe('corrected');
    expect(card.featureNames).toHaveLength(68);
    expect(card.input.shape).toEqual([-1, 10, 68]);
    expect(card.window).toMatchObject({ length: 10, grouping: 'source-address', ipv6PrefixLength: 64, order: 'export', padding: 'left-min' });
    expect(card.threshold).toBeGreaterThan(0);
    expect(card.threshold).toBeLessThan(1);
    expect(card.corpus.heldOutScenarios.length).toBeGreaterThan(0);
    expect(card.metrics.heldOut).not.toBeNull();
  });

  it('files are small', () => {
    for (const suffix of ['.onnx', '.card.json', '.pt', '.learning-curves.png']) {
      expect(statSync(MODEL + suffix).size, suffix).toBeLessThan(1_000_000);
    }
  });

  it('ONNX takes any batch size', async () => {
    const session = await ort.InferenceSession.create(MODEL + '.onnx');
    try {
      for (const batch of [1, 3, 64]) {
        const input = new Float32Array(batch * 10 * 68);
        for (let row = 0; row < batch * 10; row += 1) input.set(card.scaler.min, row * 68);
        const result = await session.run({ [card.input.name]: new ort.Tensor('float32', input, [batch, 10, 68]) });
        expect(result[card.output.name]!.dims).toEqual([batch]);
      }
    } finally {
      await session.release();
    }
  });
});

describe.skipIf(!hasSharedData)('shipped model on a real capture', () => {
  reportMissingSharedData('shipped model parity');
  const work = mkdtempSync(join(tmpdir(), 'flowguard-shipped-'));

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('ONNX equals PyTorch within 1e-5', async () => {
    // Flows of a real slow HTTP attack capture, extracted by flowguard's corrected flow meter.
    const flows = join(work, 'flows.csv');
    const writer = createCsvWriter(openFileSink(flows), { label: () => 'unknown' });
    try {
      await extractFile(sharedPath('pcaps', 'attacks', 'joamontesgi_slowhttptest.pcap'), { mode: 'corrected' }, (record) => writer.write(record));
    } finally {
      writer.close();
    }
    const dumpPath = join(work, 'parity.json');
    const parity = await execa('/usr/bin/python3', ['train/parity.py', '--model', MODEL, '--data', flows, '--count', '300', '-o', dumpPath], {
      cwd: REPO_ROOT,
      reject: false,
      all: true,
    });
    expect(parity.exitCode, parity.all).toBe(0);

    const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as ParityDump;
    const [count, length, features] = dump.shape;
    expect(count).toBeGreaterThanOrEqual(200);
    const session = await ort.InferenceSession.create(MODEL + '.onnx');
    try {
      const input = new Float32Array(dump.windows.flat(2));
      const result = await session.run({ [dump.inputName]: new ort.Tensor('float32', input, [count, length, features]) });
      const probabilities = result[dump.outputName]!.data as Float32Array;
      let worst = 0;
      for (let index = 0; index < count; index += 1) {
        worst = Math.max(worst, Math.abs(probabilities[index]! - dump.probabilities[index]!));
      }
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      await session.release();
    }
  });
});
