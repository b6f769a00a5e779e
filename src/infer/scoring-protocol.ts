/** Messages between the Scorer (main thread) and its scoring worker. */

/** Loads and checks a model beside the one in use; 'activate' switches to it. */
export interface LoadModelMessage {
  type: 'load';
  /** Increases with every model swap. */
  generation: number;
  modelPath: string;
  inputName: string;
  outputName: string;
  windowLength: number;
  featureCount: number;
  intraOpThreads: number;
}

export interface ScoreBatchMessage {
  type: 'score';
  batchId: number;
  /** Transferred: count × windowLength × featureCount float32 values from offset 0. */
  buffer: ArrayBuffer;
  count: number;
}

/** Makes the prepared model of `generation` the one in use; batches after it are scored by it. */
export interface ActivateModelMessage {
  type: 'activate';
  generation: number;
}

export type ToWorkerMessage = LoadModelMessage | ActivateModelMessage | ScoreBatchMessage | { type: 'close' };

export type FromWorkerMessage =
  | { type: 'loaded'; generation: number }
  | { type: 'load-failed'; generation: number; message: string }
  | {
      type: 'scored';
      batchId: number;
      generation: number;
      /** The input buffer, handed back for reuse. */
      buffer: ArrayBuffer;
      probabilities: Float32Array;
      runMs: number;
    }
  | { type: 'score-failed'; batchId: number; buffer: ArrayBuffer; message: string }
  | { type: 'closed' };
