import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { FEATURE_NAMES } from '../flows/columns.ts';
import type { FlowMeterMode } from '../flows/flow-record.ts';
import { ModelError } from '../errors/model.ts';

/** The only card layout this runtime reads. */
export const MODEL_CARD_FORMAT_VERSION = 1;

/** Feature taken from `FlowRecord.protocol` rather than from `FlowRecord.features`. */
export const PROTOCOL_FEATURE = 'Protocol';

/**
 * Description of a trained model, stored as JSON beside the `.onnx` file. The graph scales its
 * input itself, so the runtime feeds raw feature values. The runtime still reads `scaler.min`,
 * because padding rows equal to it scale to exactly 0 inside the graph.
 */
export interface ModelCard {
  formatVersion: 1;
  modelVersion: string;
  flowMeterMode: FlowMeterMode;
  /** Ordered model inputs: names from FEATURE_NAMES plus 'Protocol'. */
  featureNames: string[];
  window: {
    length: number;
    grouping: 'source-address';
    ipv6PrefixLength: number;
    order: 'export';
    padding: 'left-min';
  };
  input: { name: string; shape: [number, number, number]; dtype: 'float32' };
  output: { name: string };
  scaler: { min: number[]; max: number[] };
  /** Probability at or above which a flow is labelled 'attack'. */
  threshold: number;
  [extra: string]: unknown;
}

/** Inputs the runtime supplies; a card that requests anything else is rejected. */
export interface RuntimeExpectation {
  flowMeterMode: FlowMeterMode;
  windowLength: number;
}

/** A card that passed validation, with its path and the model file it describes. */
export interface LoadedModelCard {
  card: ModelCard;
  cardPath: string;
  modelPath: string;
}

/**
 * Card paths tried for `model.onnx`, in order: `model.card.json`, then `model.json`, then
 * `model.onnx.json`.
 */
export function candidateCardPaths(modelPath: string): string[] {
  const base = modelPath.replace(/\.onnx$/i, '');
  return [`${base}.card.json`, `${base}.json`, `${modelPath}.json`];
}

/** Reads and validates the card of `modelPath` (or the card at `cardPath`) against the runtime. */
export async function loadModelCard(modelPath: string, expectation: RuntimeExpectation, cardPath?: string): Promise<LoadedModelCard> {
  const path = cardPath ?? candidateCardPaths(modelPath).find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new ModelError(
      'CARD_NOT_FOUND',
      `no model card found for '${modelPath}': looked for ${candidateCardPaths(modelPath).join(', ')}. ` +
        'Put the card JSON written by training beside the .onnx file, or name it with the cardPath option.',
      { details: { modelPath } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ModelError('CARD_INVALID', `model card '${path}' could not be read as JSON: ${(err as Error).message}. Regenerate it with the training pipeline.`, {
      details: { cardPath: path },
      cause: err,
    });
  }
  const card = validateModelCard(parsed, path);
  checkCardAgainstRuntime(card, expectation, path);
  return { card, cardPath: path, modelPath };
}

/** Checks the card's shape; throws FG_ERR_MODEL_CARD_INVALID or FG_ERR_MODEL_FORMAT_VERSION. */
export function validateModelCard(value: unknown, source: string): ModelCard {
  const invalid = (rule: string, field: string, got: unknown): never => {
    throw new ModelError('CARD_INVALID', `model card '${source}': ${field} is ${JSON.stringify(got)}, but ${rule}. Regenerate the card with the training pipeline.`, {
      details: { cardPath: source, field },
    });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('the card must be a JSON object', 'the document', typeof value);
  const card = value as Record<string, unknown>;

  if (card.formatVersion !== MODEL_CARD_FORMAT_VERSION) {
    throw new ModelError(
      'FORMAT_VERSION',
      `model card '${source}' has formatVersion ${JSON.stringify(card.formatVersion)}; this runtime reads formatVersion ${MODEL_CARD_FORMAT_VERSION} only. ` +
        'Use a flowguard release that matches the model, or retrain the model with this release.',
      { details: { cardPath: source, formatVersion: card.formatVersion } },
    );
  }
  if (typeof card.modelVersion !== 'string' || card.modelVersion === '') invalid('it must be a non-empty string', 'modelVersion', card.modelVersion);
  if (card.flowMeterMode !== 'corrected' && card.flowMeterMode !== 'cic2017') invalid("it must be 'corrected' or 'cic2017'", 'flowMeterMode', card.flowMeterMode);

  const names = card.featureNames;
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string')) {
    invalid('it must be a non-empty array of strings', 'featureNames', names);
  }
  const featureCount = (names as string[]).length;

  const window = card.window as Record<string, unknown> | undefined;
  if (typeof window !== 'object' || window === null) invalid('it must be an object', 'window', window);
  const windowFields = window as Record<string, unknown>;
  if (!Number.isInteger(windowFields.length) || (windowFields.length as number) < 1) invalid('it must be a positive integer', 'window.length', windowFields.length);
  if (!Number.isInteger(windowFields.ipv6PrefixLength) || (windowFields.ipv6PrefixLength as number) < 1 || (windowFields.ipv6PrefixLength as number) > 128) {
    invalid('it must be an integer from 1 to 128', 'window.ipv6PrefixLength', windowFields.ipv6PrefixLength);
  }

  const input = card.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || typeof input.name !== 'string') invalid('it must be an object with a string name', 'input', input);
  const shape = (input as Record<string, unknown>).shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((dim) => Number.isInteger(dim))) invalid('it must be [-1, window length, feature count]', 'input.shape', shape);
  if ((input as Record<string, unknown>).dtype !== 'float32') invalid("it must be 'float32'", 'input.dtype', (input as Record<string, unknown>).dtype);

  const output = card.output as Record<string, unknown> | undefined;
  if (typeof output !== 'object' || output === null || typeof output.name !== 'string') invalid('it must be an object with a string name', 'output', output);

  const scaler = card.scaler as Record<string, unknown> | undefined;
  if (typeof scaler !== 'object' || scaler === null) invalid('it must be an object with min and max arrays', 'scaler', scaler);
  for (const side of ['min', 'max'] as const) {
    const values = (scaler as Record<string, unknown>)[side];
    if (!Array.isArray(values) || values.length !== featureCount || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      invalid(`it must hold ${featureCount} finite numbers, one per feature`, `scaler.${side}`, Array.isArray(values) ? `${values.length} entries` : values);
    }
  }
  if (typeof card.threshold !== 'number' || !(card.threshold > 0 && card.threshold < 1)) invalid('it must be a number between 0 and 1', 'threshold', card.threshold);
  return Object.freeze(card) as ModelCard;
}

/**
 * Rejects a card the runtime cannot feed exactly as training did: another flow-meter mode,
 * features the flow meter does not produce, or another window definition.
 */
export function checkCardAgainstRuntime(card: ModelCard, expectation: RuntimeExpectation, source: string): void {
  if (card.flowMeterMode !== expectation.flowMeterMode) {
    throw new ModelError(
      'MODE_MISMATCH',
      `model card '${source}' was trained on flowMeterMode '${card.flowMeterMode}', but the flow meter runs in '${expectation.flowMeterMode}'. ` +
        `Set the flow meter's mode to '${card.flowMeterMode}' or load a model trained on '${expectation.flowMeterMode}' flows.`,
      { details: { cardPath: source, cardMode: card.flowMeterMode, runtimeMode: expectation.flowMeterMode } },
    );
  }

  const known = new Set<string>([...FEATURE_NAMES, PROTOCOL_FEATURE]);
  const unknown = card.featureNames.filter((name) => !known.has(name));
  const duplicates = card.featureNames.filter((name, index) => card.featureNames.indexOf(name) !== index);
  const featureCount = card.featureNames.length;
  if (unknown.length > 0 || duplicates.length > 0 || card.input.shape[2] !== featureCount) {
    const problems = [
      unknown.length > 0 ? `unknown names ${JSON.stringify(unknown)}` : '',
      duplicates.length > 0 ? `duplicate names ${JSON.stringify(duplicates)}` : '',
      card.input.shape[2] !== featureCount ? `input.shape[2] is ${card.input.shape[2]} but featureNames has ${featureCount} entries` : '',
    ].filter(Boolean);
    throw new ModelError(
      'FEATURES_MISMATCH',
      `model card '${source}' has a feature list the runtime cannot supply: ${problems.join('; ')}. ` +
        `Allowed names are the 78 CICFlowMeter feature names and '${PROTOCOL_FEATURE}'; retrain with those.`,
      { details: { cardPath: source, unknown, duplicates } },
    );
  }

  const window = card.window;
  const windowProblems: string[] = [];
  if (window.length !== expectation.windowLength) windowProblems.push(`window.length is ${window.length}, the runtime's windowLength is ${expectation.windowLength}`);
  if (card.input.shape[1] !== window.length) windowProblems.push(`input.shape[1] is ${card.input.shape[1]}, window.length is ${window.length}`);
  if (window.grouping !== 'source-address') windowProblems.push(`window.grouping is ${JSON.stringify(window.grouping)}, the runtime groups by 'source-address'`);
  if (window.order !== 'export') windowProblems.push(`window.order is ${JSON.stringify(window.order)}, the runtime orders flows by 'export'`);
  if (window.padding !== 'left-min') windowProblems.push(`window.padding is ${JSON.stringify(window.padding)}, the runtime pads 'left-min'`);
  if (windowProblems.length > 0) {
    throw new ModelError(
      'WINDOW_MISMATCH',
      `model card '${source}' defines its windows differently from the runtime: ${windowProblems.join('; ')}. ` +
        'Set the scorer option windowLength to the card\'s window length, or retrain with the runtime\'s window definition.',
      { details: { cardPath: source, window } },
    );
  }
}
