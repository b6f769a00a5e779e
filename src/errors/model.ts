import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/**
 * Errors of the model area: model card and ONNX model loading, the scorer, the per-source
 * policy's options and its saved state.
 */
export const MODEL_ERRORS = {
  CARD_NOT_FOUND: { code: 'FG_ERR_MODEL_CARD_NOT_FOUND', statusCode: 500, summary: 'No model card JSON beside the ONNX file.' },
  CARD_INVALID: { code: 'FG_ERR_MODEL_CARD_INVALID', statusCode: 500, summary: 'The model card is not valid JSON or misses a required field.' },
  FORMAT_VERSION: { code: 'FG_ERR_MODEL_FORMAT_VERSION', statusCode: 500, summary: 'The model card has a format version this runtime does not read.' },
  MODE_MISMATCH: { code: 'FG_ERR_MODEL_MODE_MISMATCH', statusCode: 500, summary: "The model was trained on another flow-meter mode than the runtime's." },
  FEATURES_MISMATCH: { code: 'FG_ERR_MODEL_FEATURES_MISMATCH', statusCode: 500, summary: 'The model card names features the runtime cannot supply, or their count disagrees with the input shape.' },
  WINDOW_MISMATCH: { code: 'FG_ERR_MODEL_WINDOW_MISMATCH', statusCode: 500, summary: "The model card's window definition differs from the runtime's." },
  LOAD_FAILED: { code: 'FG_ERR_MODEL_LOAD_FAILED', statusCode: 500, summary: 'onnxruntime could not load the model, or its inputs and outputs differ from the card.' },
  SCORING_FAILED: { code: 'FG_ERR_MODEL_SCORING_FAILED', statusCode: 500, summary: 'A batch failed inside the scoring worker.' },
  SCORER_NOT_RUNNING: { code: 'FG_ERR_MODEL_SCORER_NOT_RUNNING', statusCode: 503, summary: 'The scorer was used before start() or after close().' },
  OPTIONS_INVALID: { code: 'FG_ERR_MODEL_OPTIONS_INVALID', statusCode: 400, summary: 'Scorer or policy options do not match their schema.' },
  REPLAY_ARGUMENT: { code: 'FG_ERR_MODEL_REPLAY_ARGUMENT', statusCode: 400, summary: 'flowguard replay was called with invalid arguments or configuration.' },
  POLICY_STATE_INVALID: { code: 'FG_ERR_MODEL_POLICY_STATE_INVALID', statusCode: 500, summary: 'Saved policy state could not be read back.' },
  HISTORIES_INVALID: { code: 'FG_ERR_MODEL_HISTORIES_INVALID', statusCode: 500, summary: "Saved source histories of the scorer could not be read back." },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type ModelErrorKey = keyof typeof MODEL_ERRORS;

export class ModelError extends FlowguardError {
  constructor(key: ModelErrorKey, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    const entry = MODEL_ERRORS[key];
    super(entry.code, message, { statusCode: entry.statusCode, ...options });
    this.name = 'ModelError';
  }
}
