import { Component } from '../lifecycle.ts';
import { emptyPacketCounts, type CaptureCounters, type PacketCounts } from './capture-counters.ts';
import { readCaptureFile, type CaptureFileStats } from './capture-file.ts';
import type { PacketHandler } from './packet.ts';
import type { SkipHandler } from './packet-delivery.ts';
import type { PacketSource } from './packet-source.ts';

export interface FilePacketSourceOptions {
  path: string;
  onPacket: PacketHandler;
  onSkip?: SkipHandler;
}

/**
 * Replays a capture file as a packet source. `start()` resolves once reading has begun;
 * `finished` resolves with the file's stats (and emits 'end'), or rejects on an invalid file.
 * `close()` stops reading at the next chunk boundary.
 */
export class FilePacketSource extends Component implements PacketSource {
  readonly kind = 'file' as const;
  readonly path: string;
  readonly finished: Promise<CaptureFileStats>;
  #resolve!: (stats: CaptureFileStats) => void;
  #reject!: (err: Error) => void;
  #stats: CaptureFileStats | undefined;
  #counters: CaptureCounters | undefined;
  readonly #abort = new AbortController();
  readonly #options: FilePacketSourceOptions;
  #reading: Promise<void> | undefined;

  constructor(options: FilePacketSourceOptions) {
    super(`capture-file:${options.path}`);
    this.path = options.path;
    this.#options = options;
    this.finished = new Promise<CaptureFileStats>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller that only listens for 'error' must not see an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  counts(): PacketCounts {
    if (this.#stats) return this.#stats;
    return this.#counters?.snapshot() ?? emptyPacketCounts();
  }

  protected async onStart(): Promise<void> {
    const { path, onPacket, onSkip } = this.#options;
    const onCounters = (counters: CaptureCounters): void => {
      this.#counters = counters;
    };
    this.#reading = readCaptureFile(path, onPacket, { signal: this.#abort.signal, onSkip, onCounters }).then(
      (stats) => {
        this.#stats = stats;
        this.#resolve(stats);
        this.emit('end', stats);
      },
      (err: Error) => {
        this.#reject(err);
        this.fail(err);
      },
    );
  }

  protected async onClose(): Promise<void> {
    this.#abort.abort();
    await this.#reading;
  }

  protected async onDestroy(): Promise<void> {
    this.#abort.abort();
    await this.#reading;
  }
}
