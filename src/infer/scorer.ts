import type { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { Component } from '../lifecycle.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { FlowMeterMode, FlowRecord } from '../flows/flow-record.ts';
import { ModelError } from '../errors/model.ts';
import { loadModelCard, type LoadedModelCard, type ModelCard } from './model-card.ts';
import { WindowBuilder, type HistorySnapshot } from './window-builder.ts';
import { VerdictRing } from './verdict-ring.ts';
import { VerdictLog } from './verdict-log.ts';
import { parseOptions } from './parse-options.ts';
import { ScorerOptionsSchema, type ScorerOptions, type ScorerOptionsInput } from './scorer-options.ts';
import type { FromWorkerMessage, ToWorkerMessage } from './scoring-protocol.ts';
import type { Verdict } from './verdict.ts';
import { startScoringWorker } from './scoring-worker-start.ts';
import { toVerdict } from './verdict-from-flow.ts';

/** Outcome of a flow handed to `submit()`. */
export type SubmitResult = 'queued' | 'dropped' | 'non-finite' | 'closed';

/** A window waiting for its probability: the flow it ends with and when it was submitted. */
export interface PendingWindow {
  record: FlowRecord;
  submittedAtMs: number;
}

interface Batch {
  kind: 'batch';
  id: number;
  card: ModelCard;
  buffer: Float32Array;
  windows: PendingWindow[];
}

/** Makes the worker switch to the model it prepared; queued in order with the batches. */
interface ActivateItem {
  kind: 'activate';
  generation: number;
}

export interface ScorerStats {
  modelVersion: string;
  submittedFlows: number;
  scoredWindows: number;
  /** Windows dropped because `maxQueuedWindows` were already waiting. */
  droppedWindows: number;
  /** Windows never sent because a model input was NaN or ±Infinity. */
  nonFiniteWindows: number;
  /** Windows lost because their batch failed inside the worker. */
  failedWindows: number;
  queuedWindows: number;
  batches: number;
  /** Time spent inside onnxruntime's run(), summed over batches. */
  runMsTotal: number;
  sources: number;
  verdictLogDroppedLines: number;
}

export interface ScorerDependencies {
  /** The flow meter's mode; a model trained on another mode is rejected. */
  flowMeterMode: FlowMeterMode;
  logger?: Logger;
}


/**
 * Scores every exported flow over its source's window in a worker thread and emits verdicts.
 *
 * Events: 'verdicts' (Verdict[], one array per scored batch), 'model' ({ modelVersion }) after a
 * swap, 'error' when the worker dies.
 *
 * Batching: a batch is sent when it contains `maxBatchSize` windows, `flushDelayMs` after its
 * first window, or at the end of the event-loop turn when the worker has nothing to do.
 * Bound: `maxQueuedWindows` windows may wait or be in scoring; a flow submitted past that still
 * joins its source's history, but its window is dropped and counted (`droppedWindows`).
 */
export class Scorer extends Component {
  readonly options: Readonly<ScorerOptions>;
  readonly #flowMeterMode: FlowMeterMode;
  readonly #logger: Logger;
  readonly #recent: VerdictRing;
  #verdictLog: VerdictLog | undefined;
  #worker: Worker | undefined;
  #loaded: LoadedModelCard | undefined;
  #builder: WindowBuilder | undefined;
  /** Histories handed over before the model loaded; restored when the window builder exists. */
  #pendingHistories: HistorySnapshot | undefined;
  #generation = 0;
  #loadWaiters = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  #filling: Batch | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #idleFlushScheduled = false;
  readonly #ready: Array<Batch | ActivateItem> = [];
  readonly #inFlight = new Map<number, Batch>();
  #nextBatchId = 1;
  #queuedWindows = 0;
  readonly #bufferPool: Float32Array[] = [];
  readonly #scratch: { buffer: Float32Array } = { buffer: new Float32Array(0) };
  #queueWaiters: Array<{ level: number; resolve: () => void; reject: (err: Error) => void }> = [];
  #closedWorker: (() => void) | undefined;
  #accepting = false;
  #workerGone = false;

  #submittedFlows = 0;
  #scoredWindows = 0;
  #droppedWindows = 0;
  #nonFiniteWindows = 0;
  #failedWindows = 0;
  #batches = 0;
  #runMsTotal = 0;

  constructor(options: ScorerOptionsInput, dependencies: ScorerDependencies) {
    super('scorer');
    this.options = parseOptions(ScorerOptionsSchema, options, 'scorer options');
    this.#flowMeterMode = dependencies.flowMeterMode;
    this.#logger = (dependencies.logger ?? silentLogger()).child({ component: 'scorer' });
    this.#recent = new VerdictRing(this.options.recentVerdicts);
  }

  /** The card of the model in use. */
  get card(): ModelCard {
    if (this.#loaded === undefined) throw notRunning('card');
    return this.#loaded.card;
  }

  stats(): ScorerStats {
    return {
      modelVersion: this.#loaded?.card.modelVersion ?? '',
      submittedFlows: this.#submittedFlows,
      scoredWindows: this.#scoredWindows,
      droppedWindows: this.#droppedWindows,
      nonFiniteWindows: this.#nonFiniteWindows,
      failedWindows: this.#failedWindows,
      queuedWindows: this.#queuedWindows,
      batches: this.#batches,
      runMsTotal: this.#runMsTotal,
      sources: this.#builder?.sourceCount ?? 0,
      verdictLogDroppedLines: this.#verdictLog?.droppedLines ?? 0,
    };
  }

  /** Windows waiting for or in scoring; what `maxQueuedWindows` bounds. */
  get queuedWindows(): number {
    return this.#queuedWindows;
  }

  /** Up to `limit` recent verdicts, newest first. */
  recentVerdicts(limit?: number): Verdict[] {
    return this.#recent.list(limit);
  }

  protected override async onStart(): Promise<void> {
    const loaded = await this.#loadCard(this.options.modelPath, this.options.cardPath);
    const worker = startScoringWorker();
    this.#worker = worker;
    worker.on('message', (message: FromWorkerMessage) => this.#onWorkerMessage(message));
    worker.on('error', (err) => this.#onWorkerGone(err));
    worker.on('exit', (code) => {
      if (this.#closedWorker === undefined) this.#onWorkerGone(new Error(`scoring worker exited with code ${code}`));
      else this.#closedWorker();
    });
    try {
      await this.#prepare(loaded);
    } catch (err) {
      this.#closedWorker = () => undefined;
      this.#workerGone = true;
      await worker.terminate();
      throw err;
    }
    this.#activate(loaded);
    if (this.options.verdictLog !== undefined) {
      this.#verdictLog = new VerdictLog(this.options.verdictLog, this.#logger);
      await this.#verdictLog.open();
    }
    this.#accepting = true;
    this.#logger.info({ modelVersion: loaded.card.modelVersion, modelPath: loaded.modelPath, features: loaded.card.featureNames.length }, 'scorer started');
  }

  async #loadCard(modelPath: string, cardPath?: string): Promise<LoadedModelCard> {
    return loadModelCard(resolve(modelPath), { flowMeterMode: this.#flowMeterMode, windowLength: this.options.windowLength }, cardPath);
  }

  /** Has the worker load and check the model, leaving the one in use untouched. */
  #prepare(loaded: LoadedModelCard): Promise<void> {
    const generation = ++this.#generation;
    const { card } = loaded;
    const done = new Promise<void>((resolvePromise, reject) => this.#loadWaiters.set(generation, { resolve: resolvePromise, reject }));
    this.#post({
      type: 'load',
      generation,
      modelPath: loaded.modelPath,
      inputName: card.input.name,
      outputName: card.output.name,
      windowLength: card.window.length,
      featureCount: card.featureNames.length,
      intraOpThreads: this.options.intraOpThreads,
    });
    return done.catch((err: Error) => {
      throw new ModelError('LOAD_FAILED', `model '${loaded.modelPath}' could not be used: ${err.message}. Check that the card beside it belongs to this model.`, {
        details: { modelPath: loaded.modelPath, cardPath: loaded.cardPath },
        cause: err,
      });
    });
  }

  /**
   * Restores per-source flow histories saved by exportHistories (before a restart), so a
   * source's next flows are judged with the flows it sent before. Called before start, the
   * snapshot waits until the model has loaded.
   */
  restoreHistories(snapshot: HistorySnapshot): void {
    if (this.#builder === undefined) this.#pendingHistories = snapshot;
    else this.#importHistories(snapshot);
  }

  /** Copies the flow histories of the `maxSources` most recently seen source groups. */
  exportHistories(maxSources: number): HistorySnapshot | undefined {
    return this.#builder?.exportHistories(maxSources);
  }

  #importHistories(snapshot: HistorySnapshot): void {
    const sources = this.#builder!.importHistories(snapshot);
    this.#logger.info({ sources }, 'source histories restored');
  }

  /**
   * Switches windows built from now on to the prepared model's layout. Windows already built
   * go ahead of the switch, so the worker scores them with the model they were built for.
   */
  #activate(loaded: LoadedModelCard): void {
    this.#sealFilling();
    this.#ready.push({ kind: 'activate', generation: this.#generation });
    this.#loaded = loaded;
    if (this.#builder === undefined) {
      this.#builder = new WindowBuilder(loaded.card, { windowLength: this.options.windowLength, maxSources: this.options.maxSources });
      if (this.#pendingHistories !== undefined) this.#importHistories(this.#pendingHistories);
      this.#pendingHistories = undefined;
    } else {
      this.#builder.setCard(loaded.card);
    }
    this.#scratch.buffer = new Float32Array(this.#builder.windowSize);
    this.#bufferPool.length = 0;
    this.#pump();
  }

  /**
   * Loads another model (or the same path again, rewritten) without a restart. Queued windows
   * are kept: they are scored by the model they were built for. On any error the model in use
   * stays.
   */
  async reload(modelPath = this.#loaded?.modelPath ?? this.options.modelPath, cardPath?: string): Promise<ModelCard> {
    if (!this.#accepting) throw notRunning('reload');
    const loaded = await this.#loadCard(modelPath, cardPath);
    await this.#prepare(loaded);
    const previous = this.#loaded?.card.modelVersion;
    this.#activate(loaded);
    this.#logger.info({ previousModelVersion: previous, modelVersion: loaded.card.modelVersion, modelPath: loaded.modelPath }, 'model swapped');
    this.emit('model', { modelVersion: loaded.card.modelVersion });
    return loaded.card;
  }

  /** Adds a flow to its source's history and queues its window for scoring. */
  submit(record: FlowRecord): SubmitResult {
    if (!this.#accepting) return 'closed';
    const builder = this.#builder!;
    this.#submittedFlows++;

    if (this.#queuedWindows >= this.options.maxQueuedWindows) {
      // Keep the source's history complete even though this window is not scored.
      const result = builder.append(record, this.#scratch.buffer, 0);
      if (result === 'non-finite') this.#nonFiniteWindows++;
      else this.#droppedWindows++;
      return result === 'non-finite' ? 'non-finite' : 'dropped';
    }

    const batch = (this.#filling ??= this.#newBatch());
    const result = builder.append(record, batch.buffer, batch.windows.length * builder.windowSize);
    if (result === 'non-finite') {
      this.#nonFiniteWindows++;
      return 'non-finite';
    }
    batch.windows.push({ record, submittedAtMs: performance.now() });
    this.#queuedWindows++;

    if (batch.windows.length >= this.options.maxBatchSize) {
      this.#sealFilling();
      this.#pump();
    } else if (batch.windows.length === 1) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#sealFilling();
        this.#pump();
      }, this.options.flushDelayMs);
      if (this.options.dispatchWhenIdle && this.#inFlight.size === 0 && !this.#idleFlushScheduled) {
        this.#idleFlushScheduled = true;
        setImmediate(() => {
          this.#idleFlushScheduled = false;
          if (this.#inFlight.size === 0) {
            this.#sealFilling();
            this.#pump();
          }
        });
      }
    }
    return 'queued';
  }

  /** Sends the partial batch now instead of waiting for the flush delay. */
  flush(): void {
    this.#sealFilling();
    this.#pump();
  }

  /**
   * Resolves once at most `level` windows are queued; a producer that can wait (replay)
   * awaits this instead of losing windows to the queue bound.
   */
  waitForQueueBelow(level = Math.floor(this.options.maxQueuedWindows / 2)): Promise<void> {
    if (this.#queuedWindows <= level) return Promise.resolve();
    this.flush();
    return new Promise((resolvePromise, reject) => this.#queueWaiters.push({ level, resolve: resolvePromise, reject }));
  }

  /** Resolves when every queued window has its verdict. */
  drain(): Promise<void> {
    return this.waitForQueueBelow(0);
  }

  #newBatch(): Batch {
    const size = this.options.maxBatchSize * this.#builder!.windowSize;
    let buffer = this.#bufferPool.pop();
    if (buffer === undefined || buffer.length !== size) buffer = new Float32Array(size);
    return { kind: 'batch', id: this.#nextBatchId++, card: this.#loaded!.card, buffer, windows: [] };
  }

  #sealFilling(): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    const batch = this.#filling;
    if (batch === undefined || batch.windows.length === 0) return;
    this.#filling = undefined;
    this.#ready.push(batch);
  }

  #pump(): void {
    while (this.#ready.length > 0) {
      const item = this.#ready[0];
      if (item.kind === 'activate') {
        this.#ready.shift();
        this.#post({ type: 'activate', generation: item.generation });
        continue;
      }
      if (this.#inFlight.size >= this.options.maxBatchesInFlight) return;
      this.#ready.shift();
      this.#inFlight.set(item.id, item);
      const buffer = item.buffer.buffer as ArrayBuffer;
      this.#post({ type: 'score', batchId: item.id, buffer, count: item.windows.length }, [buffer]);
    }
  }

  #post(message: ToWorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.#worker!.postMessage(message, transfer);
  }

  #onWorkerMessage(message: FromWorkerMessage): void {
    switch (message.type) {
      case 'loaded':
        this.#loadWaiters.get(message.generation)?.resolve();
        this.#loadWaiters.delete(message.generation);
        return;
      case 'load-failed':
        this.#loadWaiters.get(message.generation)?.reject(new Error(message.message));
        this.#loadWaiters.delete(message.generation);
        return;
      case 'scored':
        this.#onScored(message.batchId, message.buffer, message.probabilities, message.runMs);
        return;
      case 'score-failed':
        this.#onBatchFailed(message.batchId, message.buffer, message.message);
        return;
      case 'closed':
        void this.#worker?.terminate();
        return;
    }
  }

  #onScored(batchId: number, buffer: ArrayBuffer, probabilities: Float32Array, runMs: number): void {
    const batch = this.#settle(batchId, buffer);
    if (batch === undefined) return;
    this.#batches++;
    this.#runMsTotal += runMs;
    const { card } = batch;
    const scoredAtMs = Date.now();
    const verdicts: Verdict[] = new Array(batch.windows.length);
    for (let i = 0; i < batch.windows.length; i++) {
      verdicts[i] = toVerdict(batch.windows[i].record, probabilities[i], card, scoredAtMs);
      this.#recent.push(verdicts[i]);
    }
    this.#scoredWindows += verdicts.length;
    this.#verdictLog?.write(verdicts);
    this.emit('verdicts', verdicts, batch.windows);
    this.#afterSettle();
  }

  #onBatchFailed(batchId: number, buffer: ArrayBuffer, reason: string): void {
    const batch = this.#settle(batchId, buffer);
    if (batch === undefined) return;
    this.#failedWindows += batch.windows.length;
    this.#logger.warn({ batchId, windows: batch.windows.length, failedWindows: this.#failedWindows, reason }, 'scoring batch failed');
    this.#afterSettle();
  }

  /** Removes a finished batch from the in-flight set and returns its buffer to the pool. */
  #settle(batchId: number, buffer: ArrayBuffer): Batch | undefined {
    const batch = this.#inFlight.get(batchId);
    if (batch === undefined) return undefined;
    this.#inFlight.delete(batchId);
    this.#queuedWindows -= batch.windows.length;
    const returned = new Float32Array(buffer);
    if (this.#builder !== undefined && returned.length === this.options.maxBatchSize * this.#builder.windowSize && this.#bufferPool.length < 4) {
      this.#bufferPool.push(returned);
    }
    return batch;
  }

  #afterSettle(): void {
    this.#pump();
    if (this.#inFlight.size === 0 && this.#filling !== undefined && this.#filling.windows.length > 0 && this.options.dispatchWhenIdle) {
      this.#sealFilling();
      this.#pump();
    }
    if (this.#queueWaiters.length > 0) {
      const waiting = this.#queueWaiters;
      this.#queueWaiters = [];
      for (const waiter of waiting) {
        if (this.#queuedWindows <= waiter.level) waiter.resolve();
        else this.#queueWaiters.push(waiter);
      }
      if (this.#queueWaiters.length > 0) this.flush();
    }
  }

  #onWorkerGone(err: Error): void {
    if (this.#workerGone) return;
    this.#workerGone = true;
    this.#accepting = false;
    const failure = new ModelError('SCORING_FAILED', `the scoring worker stopped: ${err.message}. The scorer must be restarted.`, { cause: err });
    for (const waiter of this.#loadWaiters.values()) waiter.reject(failure);
    this.#loadWaiters.clear();
    for (const waiter of this.#queueWaiters.splice(0)) waiter.reject(failure);
    this.#logger.error({ err }, 'scoring worker stopped');
    this.fail(failure);
  }

  protected override async onClose(): Promise<void> {
    this.#accepting = false;
    const worker = this.#worker;
    if (worker !== undefined && !this.#workerGone) {
      try {
        await this.drain();
      } catch {
        // The worker died while draining; its windows are lost and counted nowhere else.
      }
    }
    if (worker !== undefined && !this.#workerGone) {
      const exited = new Promise<void>((resolvePromise) => (this.#closedWorker = resolvePromise));
      this.#post({ type: 'close' });
      const timeout = setTimeout(() => void worker.terminate().then(() => this.#closedWorker?.()), 5000);
      await exited;
      clearTimeout(timeout);
    }
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    await this.#verdictLog?.close();
    this.#logger.info(this.stats(), 'scorer closed');
  }

  protected override async onDestroy(): Promise<void> {
    this.#accepting = false;
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#closedWorker ??= () => undefined;
    await this.#worker?.terminate();
    await this.#verdictLog?.close();
  }
}

function notRunning(operation: string): ModelError {
  return new ModelError('SCORER_NOT_RUNNING', `scorer ${operation}: the scorer is not running. Call start() first and do not use it after close().`);
}
