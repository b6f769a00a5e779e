export { Scorer, type ScorerStats, type SubmitResult, type PendingWindow, type ScorerDependencies } from './scorer.ts';
export { ScorerOptionsSchema, VerdictLogOptionsSchema, type ScorerOptions, type ScorerOptionsInput } from './scorer-options.ts';
export { loadModelCard, validateModelCard, checkCardAgainstRuntime, candidateCardPaths, type ModelCard, type LoadedModelCard } from './model-card.ts';
export { WindowBuilder } from './window-builder.ts';
export { VerdictRing } from './verdict-ring.ts';
export { VerdictLog } from './verdict-log.ts';
export type { Verdict, VerdictLabel } from './verdict.ts';
export { replayCapture, REPLAY_FORMAT_VERSION, type ReplayOptions, type ReplayResult, type ReplaySource } from './replay.ts';
