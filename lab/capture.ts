import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { labError } from '../src/errors/lab.ts';
import { nsSpawn, waitFor } from './exec.ts';

export interface CaptureOptions {
  namespace: string;
  interface: string;
  file: string;
  /** Bytes kept per packet; the flow meter reads lengths from the IP header, so headers suffice. */
  snapLengthBytes?: number;
  /** Hard bound on the capture's life in ms. */
  maxDurationMs: number;
}

export interface CaptureSummary {
  file: string;
  startedAtMs: number;
  stoppedAtMs: number;
  /** tcpdump's own totals from its exit message (undefined when it printed none). */
  packetsCaptured?: number;
  packetsDroppedByKernel?: number;
}

/** A tcpdump process writing one interface of one namespace to a pcap file. */
export class PacketCapture {
  readonly options: CaptureOptions;
  readonly #child: ResultPromise;
  #stderr = '';
  #listening = false;
  startedAtMs = 0;

  private constructor(options: CaptureOptions) {
    this.options = options;
    // -U is left off: tcpdump still flushes everything on SIGTERM, and buffered writes keep up
    // with floods better. -B raises the kernel buffer (KiB) to keep drops down during floods.
    this.#child = nsSpawn(
      options.namespace,
      'tcpdump',
      ['-i', options.interface, '-w', options.file, '-s', String(options.snapLengthBytes ?? 256), '-B', '16384', '-n', '-Z', 'root', '--immediate-mode'],
      { timeoutMs: options.maxDurationMs },
    );
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.#stderr = `${this.#stderr}${line}\n`.slice(-4_000);
      if (line.includes('listening on')) this.#listening = true;
    });
    this.#child.stdout?.resume();
  }

  /** Starts tcpdump and waits until it reports that it is listening. */
  static async start(options: CaptureOptions): Promise<PacketCapture> {
    const capture = new PacketCapture(options);
    let exited = false;
    void capture.#child.then(() => (exited = true));
    await waitFor(() => capture.#listening || exited, `tcpdump listening on ${options.interface}`, 10_000);
    if (!capture.#listening) {
      throw labError('FG_ERR_LAB_COMMAND_FAILED', `tcpdump on ${options.interface} in ${options.namespace} exited before listening: ${capture.#stderr.trim()}`);
    }
    capture.startedAtMs = Date.now();
    return capture;
  }

  /** Stops tcpdump with SIGTERM (it flushes the file) and returns its totals. */
  async stop(): Promise<CaptureSummary> {
    this.#child.kill('SIGTERM');
    await this.#child;
    const stoppedAtMs = Date.now();
    const number = (pattern: RegExp) => {
      const match = pattern.exec(this.#stderr);
      return match ? Number(match[1]) : undefined;
    };
    return {
      file: this.options.file,
      startedAtMs: this.startedAtMs,
      stoppedAtMs,
      packetsCaptured: number(/(\d+) packets captured/),
      packetsDroppedByKernel: number(/(\d+) packets dropped by kernel/),
    };
  }
}
