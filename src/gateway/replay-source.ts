import { readCaptureFile } from '../capture/index.ts';
import { createFlowMeter, type FlowMeterOptions } from '../flows/index.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import { Component } from '../lifecycle.ts';
import type { Logger } from '../log.ts';

export interface ReplaySourceOptions {
  file: string;
  flows: FlowMeterOptions;
  /** 'recorded' replays at the capture's own pace; 'full' as fast as the pipeline takes it. */
  pace: 'recorded' | 'full';
  /** Start again from the beginning when the file ends (the demo keeps running). */
  loop: boolean;
  onFlows: (records: FlowRecord[]) => void;
  onPackets: (packets: number, bytes: number) => void;
  /** Called after each pass over the file with the number of the pass, from 1. */
  onPassEnd?: (pass: number) => void;
  logger: Logger;
}

/** Chunks small enough that pacing follows the capture closely (tens of packets per wait). */
const PACED_CHUNK_BYTES = 64 * 1024;

/**
 * A capture file played through the flow meter as if it arrived live. Each pass shifts the
 * capture's timestamps so its first packet is "now"; flows therefore carry current times.
 */
export class ReplaySource extends Component {
  readonly #options: ReplaySourceOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  passes = 0;

  constructor(options: ReplaySourceOptions) {
    super('replay');
    this.#options = options;
  }

  protected async onStart(): Promise<void> {
    this.#running = this.#run().catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.fail(err);
    });
  }

  protected async onClose(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  protected async onDestroy(): Promise<void> {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const { file, flows, pace, loop, onFlows, onPackets, logger } = this.#options;
    do {
      const exported: FlowRecord[] = [];
      const meter = createFlowMeter(flows, (record) => exported.push(record));
      const passStartUs = Date.now() * 1000;
      let offsetUs: number | undefined;
      let packets = 0;
      let bytes = 0;
      let lastUs = 0;
      await readCaptureFile(
        file,
        (packet) => {
          offsetUs ??= passStartUs - packet.timestampUs;
          packet.timestampUs += offsetUs;
          if (packet.timestampUs > lastUs) lastUs = packet.timestampUs;
          packets++;
          bytes += packet.wireLength;
          meter.ingest(packet);
        },
        {
          signal: this.#abort.signal,
          chunkBytes: PACED_CHUNK_BYTES,
          afterChunk: async () => {
            onPackets(packets, bytes);
            packets = 0;
            bytes = 0;
            if (pace === 'recorded') {
              const waitMs = lastUs / 1000 - Date.now();
              if (waitMs > 0) await delay(waitMs, this.#abort.signal);
              meter.advanceTime(Math.max(lastUs, Date.now() * 1000));
            }
            if (exported.length > 0) onFlows(exported.splice(0));
          },
        },
      );
      if (this.#abort.signal.aborted) return;
      meter.flush();
      onPackets(packets, bytes);
      if (exported.length > 0) onFlows(exported.splice(0));
      this.passes++;
      logger.info({ file, pass: this.passes }, 'replay pass finished');
      this.#options.onPassEnd?.(this.passes);
    } while (loop && !this.#abort.signal.aborted);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
