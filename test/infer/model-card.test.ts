import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelCard } from '../../src/infer/model-card.ts';
import { Scorer } from '../../src/infer/scorer.ts';
import { isFlowguardError } from '../../src/errors/index.ts';
import { makeFixtureModel, type FixtureModel } from './model-fixture.ts';

let model: FixtureModel;

beforeAll(() => {
  model = makeFixtureModel();
});
afterAll(() => model?.remove());

const runtime = { flowMeterMode: 'corrected' as const, windowLength: 10 };

/** Writes a changed copy of the fixture card and returns its path. */
function writeCard(name: string, change: (card: Record<string, any>) => void): string {
  const card = JSON.parse(readFileSync(model.cardPath, 'utf8'));
  change(card);
  const path = join(model.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(card));
  return path;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isFlowguardError(err) ? err.code : String(err);
  }
}

describe('model card', () => {
  it('loads the card beside the model', async () => {
    const loaded = await loadModelCard(model.modelPath, runtime);
    expect(loaded.cardPath).toBe(model.cardPath);
    expect(loaded.card.featureNames).toHaveLength(68);
    expect(loaded.card.featureNames.at(-1)).toBe('Protocol');
    expect(loaded.card.window.length).toBe(10);
  });

  it('rejects a missing card', async () => {
    expect(await codeOf(loadModelCard(join(model.dir, 'absent.onnx'), runtime))).toBe('FG_ERR_MODEL_CARD_NOT_FOUND');
  });

  it('rejects another flow-meter mode', async () => {
    expect(await codeOf(loadModelCard(model.modelPath, { ...runtime, flowMeterMode: 'cic2017' }))).toBe('FG_ERR_MODEL_MODE_MISMATCH');
  });

  it('rejects another format version', async () => {
    const path = writeCard('v2', (card) => (card.formatVersion = 2));
    expect(await codeOf(loadModelCard(model.modelPath, runtime, path))).toBe('FG_ERR_MODEL_FORMAT_VERSION');
  });

  it('rejects an unknown feature name', async () => {
    const path = writeCard('unknown-feature', (card) => (card.featureNames[3] = 'Total Backwards Packets'));
    expect(await codeOf(loadModelCard(model.modelPath, runtime, path))).toBe('FG_ERR_MODEL_FEATURES_MISMATCH');
  });

  it('rejects a feature count that disagrees with the input shape', async () => {
    const path = writeCard('short-shape', (card) => (card.input.shape = [-1, 10, 67]));
    expect(await codeOf(loadModelCard(model.modelPath, runtime, path))).toBe('FG_ERR_MODEL_FEATURES_MISMATCH');
  });

  it('rejects another window length', async () => {
    expect(await codeOf(loadModelCard(model.modelPath, { ...runtime, windowLength: 20 }))).toBe('FG_ERR_MODEL_WINDOW_MISMATCH');
    const path = writeCard('right-padding', (card) => (card.window.padding = 'right-zero'));
    expect(await codeOf(loadModelCard(model.modelPath, runtime, path))).toBe('FG_ERR_MODEL_WINDOW_MISMATCH');
  });

  it('rejects a scaler of the wrong size', async () => {
    const path = writeCard('short-scaler', (card) => card.scaler.min.pop());
    expect(await codeOf(loadModelCard(model.modelPath, runtime, path))).toBe('FG_ERR_MODEL_CARD_INVALID');
  });

  it('names the value and the fix in the message', async () => {
    const error = await loadModelCard(model.modelPath, { ...runtime, flowMeterMode: 'cic2017' }).catch((err: Error) => err);
    expect((error as Error).message).toContain("'corrected'");
    expect((error as Error).message).toContain("'cic2017'");
  });

  it('makes the scorer refuse to start on a mismatch', async () => {
    const scorer = new Scorer({ modelPath: model.modelPath }, { flowMeterMode: 'cic2017' });
    expect(await codeOf(scorer.start())).toBe('FG_ERR_MODEL_MODE_MISMATCH');
    expect(scorer.state).toBe('failed');
  });

  it('makes the scorer refuse a card whose input name is not in the graph', async () => {
    const path = writeCard('wrong-input', (card) => (card.input.name = 'features'));
    const scorer = new Scorer({ modelPath: model.modelPath, cardPath: path }, { flowMeterMode: 'corrected' });
    expect(await codeOf(scorer.start())).toBe('FG_ERR_MODEL_LOAD_FAILED');
  });
});
