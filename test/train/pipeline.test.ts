import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FEATURE_NAMES } from '../../src/flows/columns.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';
import { writeSyntheticFlows } from './synthetic-flows.ts';

const PYTHON = '/usr/bin/python3';

const DROPPED = new Set([
  'Bwd PSH Flags',
  'Fwd URG Flags',
  'Bwd URG Flags',
  'CWE Flag Count',
  'Fwd Avg Bytes/Bulk',
  'Fwd Avg Packets/Bulk',
  'Fwd Avg Bulk Rate',
  'Bwd Avg Bytes/Bulk',
  'Bwd Avg Packets/Bulk',
  'Bwd Avg Bulk Rate',
  'Fwd Header Length.1',
]);

interface ParityDump {
  inputName: string;
  outputName: string;
  featureNames: string[];
  shape: [number, number, number];
  windows: number[][][];
  probabilities: number[];
  rows: number[];
  groups: string[];
}

async function runPython(args: string[]) {
  return execa(PYTHON, args, { cwd: REPO_ROOT, reject: false, all: true, timeout: 150_000 });
}

describe('training pipeline on a synthetic flowguard corpus', () => {
  const work = mkdtempSync(join(tmpdir(), 'flowguard-train-'));
  const data = join(work, 'corpus');
  const out = join(work, 'models');
  const stem = join(out, 'smoke');
  let trainOutput = '';
  let exitCode: number | undefined;

  beforeAll(async () => {
    mkdirSync(data);
    // Two runs of the same attack family (one is held out) and one benign-only run. The sources
    // include an IPv6 host and an IPv4-mapped address to exercise the grouping rules.
    writeSyntheticFlows(
      join(data, 'syn-flood-fast.csv'),
      [
        { address: '10.1.0.5', label: 'BENIGN', flows: 120 },
        { address: 'fd00:1::5', label: 'BENIGN', flows: 60 },
        { address: '10.2.0.9', label: 'syn-flood', flows: 150 },
      ],
      1,
    );
    writeSyntheticFlows(
      join(data, 'syn-flood-slow.csv'),
      [
        { address: '10.1.0.6', label: 'BENIGN', flows: 80 },
        { address: '::ffff:10.2.0.10', label: 'syn-flood', flows: 60 },
      ],
      2,
    );
    writeSyntheticFlows(join(data, 'benign-only.csv'), [{ address: '10.1.0.7', label: 'BENIGN', flows: 150 }], 3);
    const result = await runPython(['train/train.py', '--data', data, '--out', out, '--name', 'smoke', '--epochs', '1', '--batch-size', '32']);
    trainOutput = result.all ?? '';
    exitCode = result.exitCode;
    if (exitCode === 0) {
      const parity = await runPython(['train/parity.py', '--model', stem, '--data', join(data, 'syn-flood-fast.csv'), '--count', '300', '-o', join(work, 'parity.json')]);
      expect(parity.exitCode, parity.all).toBe(0);
    }
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('trains one epoch and writes every file', () => {
    expect(exitCode, trainOutput).toBe(0);
    for (const suffix of ['.onnx', '.card.json', '.pt', '.learning-curves.png']) {
      expect(existsSync(stem + suffix), stem + suffix).toBe(true);
    }
  });

  it('card carries the runtime contract', () => {
    const card = JSON.parse(readFileSync(stem + '.card.json', 'utf8'));
    const expectedFeatures: string[] = FEATURE_NAMES.filter((name) => !DROPPED.has(name));
    expectedFeatures.splice(1, 0, 'Protocol');

    expect(card.formatVersion).toBe(1);
    expect(typeof card.modelVersion).toBe('string');
    expect(card.flowMeterMode).toBe('corrected');
    expect(card.featureNames).toEqual(expectedFeatures);
    expect(card.featureNames).toHaveLength(68);
    expect(card.window).toMatchObject({ length: 10, grouping: 'source-address', ipv6PrefixLength: 64, order: 'export', padding: 'left-min' });
    expect(card.input).toMatchObject({ name: 'flows', shape: [-1, 10, 68], dtype: 'float32' });
    expect(card.output.name).toBe('attack_probability');
    expect(card.scaler.min).toHaveLength(68);
    expect(card.scaler.max).toHaveLength(68);
    expect(card.threshold).toBeGreaterThan(0);
    expect(card.threshold).toBeLessThanOrEqual(1);
    expect(card.corpus.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.corpus.scenarios).toEqual(['benign-only', 'syn-flood-fast', 'syn-flood-slow']);
    expect(card.corpus.heldOutScenarios).toEqual(['syn-flood-slow']);
    expect(card.trainingCommand).toContain('npm run train --');
    expect(card.libraries.torch).toMatch(/^1\./);
  });

  it('card reports every metric on every split', () => {
    const card = JSON.parse(readFileSync(stem + '.card.json', 'utf8'));
    for (const split of ['validation', 'test', 'heldOut']) {
      const metrics = card.metrics[split];
      expect(metrics, split).not.toBeNull();
      for (const key of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'benignFpr', 'confusionMatrix', 'recallByFamily']) {
        expect(metrics, `${split}.${key}`).toHaveProperty(key);
      }
    }
    expect(card.metrics.heldOut.windows).toBe(140);
    expect(Object.keys(card.metrics.heldOut.recallByFamily)).toEqual(['syn-flood']);
  });

  it('ONNX loads in onnxruntime-node with the card names', async () => {
    const card = JSON.parse(readFileSync(stem + '.card.json', 'utf8'));
    const session = await ort.InferenceSession.create(stem + '.onnx');
    expect(session.inputNames).toEqual([card.input.name]);
    expect(session.outputNames).toEqual([card.output.name]);
    await session.release();
  });

  it('ONNX output equals PyTorch within 1e-5', async () => {
    const dump = JSON.parse(readFileSync(join(work, 'parity.json'), 'utf8')) as ParityDump;
    const [count, length, features] = dump.shape;
    expect(count).toBe(300);
    const session = await ort.InferenceSession.create(stem + '.onnx');
    const input = new Float32Array(dump.windows.flat(2));
    expect(input.length).toBe(count * length * features);
    const result = await session.run({ [dump.inputName]: new ort.Tensor('float32', input, [count, length, features]) });
    const output = result[dump.outputName]!;
    expect(output.dims).toEqual([count]);
    const probabilities = output.data as Float32Array;
    let worst = 0;
    for (let index = 0; index < count; index += 1) {
      worst = Math.max(worst, Math.abs(probabilities[index]! - dump.probabilities[index]!));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    await session.release();
  });

  it('parity dump names rows and groups', () => {
    const dump = JSON.parse(readFileSync(join(work, 'parity.json'), 'utf8')) as ParityDump;
    expect(dump.rows).toHaveLength(300);
    expect(dump.groups).toHaveLength(300);
    expect(dump.rows[0]).toBe(0);
    expect(new Set(dump.groups)).toEqual(new Set(['10.1.0.5', 'fd00:1::/64', '10.2.0.9']));
  });

  it('first window padded with scaler.min', async () => {
    const card = JSON.parse(readFileSync(stem + '.card.json', 'utf8'));
    const dump = JSON.parse(readFileSync(join(work, 'parity.json'), 'utf8')) as ParityDump;
    // The file's first window has a one-flow history: nine padding rows, then the flow.
    const first = dump.windows[0]!;
    for (let row = 0; row < 9; row += 1) {
      expect(first[row]).toEqual(card.scaler.min.map((value: number) => Math.fround(value)));
    }
  });
});
