import { Type, type Static } from '@sinclair/typebox';

/** Options of the verdict log, a JSON-lines file rotated by size. */
export const VerdictLogOptionsSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'File verdicts are appended to, one JSON object a line.' }),
    maxBytes: Type.Integer({ minimum: 4096, default: 64 * 1024 * 1024, description: 'Size at which the file is rotated to PATH.1.' }),
    maxFiles: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Rotated files kept (PATH.1 … PATH.N); older ones are deleted.' }),
    maxPendingBytes: Type.Integer({
      minimum: 65536,
      default: 8 * 1024 * 1024,
      description: 'Bytes waiting for the disk before new lines are dropped and counted.',
    }),
  },
  { additionalProperties: false },
);

/** Options of the Scorer; the gateway config embeds this schema under its scoring key. */
export const ScorerOptionsSchema = Type.Object(
  {
    modelPath: Type.String({ minLength: 1, description: 'ONNX model file; its card is the JSON file beside it.' }),
    cardPath: Type.Optional(Type.String({ minLength: 1, description: 'Model card, when it is not beside the model.' })),
    windowLength: Type.Integer({ minimum: 1, maximum: 256, default: 10, description: 'Flows per window; must equal the card\'s window.length.' }),
    maxSources: Type.Integer({
      minimum: 1,
      default: 100_000,
      description: 'Source groups whose flow history is kept (LRU); about 1 kB each, 5 kB once a group has windowLength flows (68 features, measured on Node 20).',
    }),
    maxBatchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'Windows per model run.' }),
    flushDelayMs: Type.Number({ minimum: 0, maximum: 1000, default: 2, description: 'Longest a partial batch waits for more windows.' }),
    dispatchWhenIdle: Type.Boolean({
      default: true,
      description: 'Send a partial batch at the end of the current event-loop turn when the worker is idle.',
    }),
    maxQueuedWindows: Type.Integer({ minimum: 1, default: 16_384, description: 'Windows waiting or being scored; more are dropped and counted.' }),
    maxBatchesInFlight: Type.Integer({ minimum: 1, maximum: 16, default: 2, description: 'Batches handed to the worker at once.' }),
    intraOpThreads: Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'onnxruntime intra-op threads in the worker.' }),
    recentVerdicts: Type.Integer({ minimum: 0, default: 1000, description: 'Verdicts kept in memory for the API.' }),
    verdictLog: Type.Optional(VerdictLogOptionsSchema),
  },
  { additionalProperties: false },
);

export type ScorerOptions = Static<typeof ScorerOptionsSchema>;
/** Options as a caller writes them: everything but modelPath has a default. */
export type ScorerOptionsInput = Partial<Omit<ScorerOptions, 'verdictLog'>> &
  Pick<ScorerOptions, 'modelPath'> & { verdictLog?: Partial<VerdictLogOptions> & Pick<VerdictLogOptions, 'path'> };
export type VerdictLogOptions = Static<typeof VerdictLogOptionsSchema>;
