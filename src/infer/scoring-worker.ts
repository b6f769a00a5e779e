import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import type { FromWorkerMessage, LoadModelMessage, ScoreBatchMessage, ToWorkerMessage } from './scoring-protocol.ts';

/**
 * Runs onnxruntime off the main thread: `InferenceSession.run` occupies the thread it runs on,
 * so capture and the API would stall if it ran beside them. Messages are handled strictly in
 * arrival order, which is what makes a model swap safe: every batch sent before a 'load' is
 * scored by the old session, every batch after it by the new one.
 */
interface LoadedModel {
  generation: number;
  session: ort.InferenceSession;
  inputName: string;
  outputName: string;
  windowLength: number;
  featureCount: number;
}

const port = parentPort;
if (port === null) throw new Error('scoring-worker must run inside a worker thread');

let current: LoadedModel | undefined;
let prepared: LoadedModel | undefined;
let chain: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorkerMessage) => {
  chain = chain.then(() => handle(message));
});

function reply(message: FromWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(message: ToWorkerMessage): Promise<void> {
  switch (message.type) {
    case 'load':
      return load(message);
    case 'activate':
      return activate(message.generation);
    case 'score':
      return score(message);
    case 'close':
      await current?.session.release();
      await prepared?.session.release();
      current = undefined;
      prepared = undefined;
      reply({ type: 'closed' });
      return;
  }
}

async function load(message: LoadModelMessage): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(message.modelPath, {
      intraOpNumThreads: message.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    reply({ type: 'load-failed', generation: message.generation, message: (err as Error).message });
    return;
  }
  const problem = describeMismatch(session, message);
  if (problem !== undefined) {
    await session.release();
    reply({ type: 'load-failed', generation: message.generation, message: problem });
    return;
  }
  await prepared?.session.release();
  prepared = { generation: message.generation, session, inputName: message.inputName, outputName: message.outputName, windowLength: message.windowLength, featureCount: message.featureCount };
  reply({ type: 'loaded', generation: message.generation });
}

async function activate(generation: number): Promise<void> {
  if (prepared === undefined || prepared.generation !== generation) return;
  const previous = current;
  current = prepared;
  prepared = undefined;
  await previous?.session.release();
}

/** Compares the graph's declared input and output with the card; undefined when they agree. */
function describeMismatch(session: ort.InferenceSession, message: LoadModelMessage): string | undefined {
  if (!session.inputNames.includes(message.inputName)) {
    return `the graph has inputs ${JSON.stringify(session.inputNames)}, but the card names input '${message.inputName}'`;
  }
  if (!session.outputNames.includes(message.outputName)) {
    return `the graph has outputs ${JSON.stringify(session.outputNames)}, but the card names output '${message.outputName}'`;
  }
  const metadata = session.inputMetadata.find((entry) => entry.name === message.inputName);
  if (metadata?.isTensor) {
    const shape = metadata.shape;
    const expected = [undefined, message.windowLength, message.featureCount];
    for (let axis = 1; axis < 3; axis++) {
      const dim = shape[axis];
      if (typeof dim === 'number' && dim !== expected[axis]) {
        return `the graph's input '${message.inputName}' has shape ${JSON.stringify(shape)}, but the card implies [batch, ${message.windowLength}, ${message.featureCount}]`;
      }
    }
    if (shape.length !== 3) return `the graph's input '${message.inputName}' has ${shape.length} dimensions, expected 3`;
  }
  return undefined;
}

async function score(message: ScoreBatchMessage): Promise<void> {
  const model = current;
  if (model === undefined) {
    reply({ type: 'score-failed', batchId: message.batchId, buffer: message.buffer, message: 'no model is loaded' }, [message.buffer]);
    return;
  }
  const size = message.count * model.windowLength * model.featureCount;
  const input = new ort.Tensor('float32', new Float32Array(message.buffer, 0, size), [message.count, model.windowLength, model.featureCount]);
  try {
    const started = performance.now();
    const outputs = await model.session.run({ [model.inputName]: input });
    const runMs = performance.now() - started;
    const data = outputs[model.outputName].data as Float32Array;
    if (data.length !== message.count) {
      throw new Error(`output '${model.outputName}' has ${data.length} values for ${message.count} windows; expected shape [batch] or [batch, 1]`);
    }
    // Copy: the output tensor's memory belongs to onnxruntime and must not be transferred.
    const probabilities = Float32Array.from(data.subarray(0, message.count));
    reply(
      { type: 'scored', batchId: message.batchId, generation: model.generation, buffer: message.buffer, probabilities, runMs },
      [message.buffer, probabilities.buffer as ArrayBuffer],
    );
  } catch (err) {
    reply({ type: 'score-failed', batchId: message.batchId, buffer: message.buffer, message: (err as Error).message }, [message.buffer]);
  }
}
