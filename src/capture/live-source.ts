import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureOptionError, linkTypeUnsupportedError, liveOpenError, liveProcessError } from '../errors/capture.ts';
import { Component } from '../lifecycle.ts';
import { silentLogger, type Logger } from '../log.ts';
import { emptyPacketCounts, type PacketCounts } from './capture-counters.ts';
import type { InterfaceCounters } from './interface-counters.ts';
import { linkTypeName } from './link-types.ts';
import type { CaptureProcessConfig, CaptureProcessReply } from './capture-process-messages.ts';
import { createDecodedPacket, type PacketHandler } from './packet.ts';
import { readPacketBatch } from './packet-batch.ts';
import type { PacketSource } from './packet-source.ts';

export interface LivePacketSourceOptions {
  /** Interface name, as `ip link` lists it. */
  device: string;
  /** BPF filter expression (tcpdump syntax); empty captures everything. */
  filter?: string;
  /** libpcap ring buffer in bytes; 16 MiB by default. */
  bufferSizeBytes?: number;
  /** Called for every packet of the default consumer, on this thread, in batches. */
  onPacket?: PacketHandler;
  /** A capture-side consumer module (see CapturePacketConsumer) replacing the packet batches. */
  consumer?: { module: string | URL; options?: unknown };
  /** Called with each payload the capture-side consumer sends. */
  onConsumerMessage?: (payload: unknown) => void;
  /** Packets per batch of the default consumer; 1,024 by default. */
  batchPackets?: number;
  /** Maximum time a packet waits in a partial batch; 50 ms by default. */
  flushIntervalMs?: number;
  /** Unsent batches the capture process queues before it drops new ones; 256 by default. */
  maxMessagesInFlight?: number;
  /** Maximum wait for the capture process to open the interface or to stop; 10 s by default. */
  processTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Capture loss estimated without pcap_stats, which cap 0.2.1 lacks. The interface's kernel
 * counters moved by `interfacePackets` (received plus sent, because libpcap captures both
 * directions) while the capture counted `packetsSeen`. The capture process reads both at each
 * report. Their difference is the loss estimate. It is exact only without a BPF filter, and
 * packets still in the kernel ring at report time count as lost until the next report.
 */
export interface CaptureLossEstimate {
  device: string;
  packetsSeen: number;
  /** rx_packets + tx_packets since the capture started; null when the interface has no counters. */
  interfacePackets: number | null;
  /** max(0, interfacePackets − packetsSeen); null with a BPF filter or without counters. */
  estimatedLostPackets: number | null;
  /** estimatedLostPackets / interfacePackets, 0 when nothing passed. */
  estimatedLossRatio: number | null;
  /** Packets the driver or kernel dropped before any capture (rx_dropped + rx_missed_errors). */
  kernelDroppedPackets: number | null;
  /** Decoded packets the capture process dropped because this side stopped reading batches. */
  droppedBatchPackets: number;
}

const DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024;
const DEFAULT_BATCH_PACKETS = 1024;
const DEFAULT_FLUSH_INTERVAL_MS = 50;
const DEFAULT_MAX_MESSAGES_IN_FLIGHT = 256;
const DEFAULT_PROCESS_TIMEOUT_MS = 10_000;
// At most 64 Ki packets per batch (about 7.4 MiB).
const MAX_BATCH_PACKETS = 65_536;

/**
 * Live capture on one interface through libpcap (`cap`), in a child process. Decoded packets
 * arrive here in batches through `onPacket`, or a capture-side consumer replaces them with its
 * own messages. Requires root or CAP_NET_RAW.
 *
 * Overflow: a live interface cannot be paused. A capture process that falls behind loses
 * packets in the kernel ring, and the loss estimate reports them. When this side stops reading,
 * the capture process drops whole batches beyond `maxMessagesInFlight` and counts them.
 */
export class LivePacketSource extends Component implements PacketSource {
  readonly kind = 'live' as const;
  readonly device: string;
  readonly #options: LivePacketSourceOptions;
  readonly #logger: Logger;
  readonly #packet = createDecodedPacket();
  #child: ChildProcess | undefined;
  #linkType = -1;
  #counts: PacketCounts | undefined;
  #truncatedPackets = 0;
  #droppedBatchPackets = 0;
  #startCounters: InterfaceCounters | undefined;
  #lastCounters: InterfaceCounters | undefined;
  #exited: Promise<void> | undefined;

  constructor(options: LivePacketSourceOptions) {
    super(`capture-live:${options.device}`);
    validateOptions(options);
    this.device = options.device;
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'capture', device: options.device });
  }

  /** LINKTYPE_* value libpcap reported for the interface, -1 before start. */
  get linkType(): number {
    return this.#linkType;
  }

  /** Counts as of the capture process's last report (every flush interval and at close). */
  counts(): PacketCounts {
    const counts = this.#counts ?? emptyPacketCounts();
    if (this.#linkType >= 0 && counts.packetsRead > 0) counts.linkTypes = { [linkTypeName(this.#linkType)]: counts.packetsRead };
    return counts;
  }

  /** Packets cap had to cut to fit its buffer (0 unless cap's snap length changes). */
  get truncatedPackets(): number {
    return this.#truncatedPackets;
  }

  captureLoss(): CaptureLossEstimate {
    const packetsSeen = this.#counts?.packetsRead ?? 0;
    const now = this.#lastCounters;
    const start = this.#startCounters;
    const droppedBatchPackets = this.#droppedBatchPackets;
    if (!now || !start) {
      return { device: this.device, packetsSeen, interfacePackets: null, estimatedLostPackets: null, estimatedLossRatio: null, kernelDroppedPackets: null, droppedBatchPackets };
    }
    const interfacePackets = now.rxPackets - start.rxPackets + (now.txPackets - start.txPackets);
    const filtered = (this.#options.filter ?? '') !== '';
    const lost = filtered ? null : Math.max(0, interfacePackets - packetsSeen);
    let ratio: number | null = null;
    if (lost !== null) ratio = interfacePackets > 0 ? lost / interfacePackets : 0;
    return {
      device: this.device,
      packetsSeen,
      interfacePackets,
      estimatedLostPackets: lost,
      estimatedLossRatio: ratio,
      kernelDroppedPackets: now.rxDropped - start.rxDropped + (now.rxMissedErrors - start.rxMissedErrors),
      droppedBatchPackets,
    };
  }

  protected async onStart(): Promise<void> {
    const options = this.#options;
    const consumerModule = options.consumer ? new URL(options.consumer.module, import.meta.url).href : undefined;
    const config: CaptureProcessConfig = {
      device: options.device,
      filter: options.filter ?? '',
      bufferSizeBytes: options.bufferSizeBytes ?? DEFAULT_BUFFER_BYTES,
      batchPackets: options.batchPackets ?? DEFAULT_BATCH_PACKETS,
      flushIntervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
      maxMessagesInFlight: options.maxMessagesInFlight ?? DEFAULT_MAX_MESSAGES_IN_FLIGHT,
      consumerModule,
      consumerOptions: options.consumer?.options,
    };
    const child = startCaptureProcess(config);
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const timeoutMs = options.processTimeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(liveProcessError(this.device, `the capture process did not open the interface within ${timeoutMs} ms`));
        child.kill('SIGKILL');
      }, timeoutMs);
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      child.on('message', (reply: CaptureProcessReply) => {
        switch (reply.type) {
          case 'ready':
            this.#linkType = reply.linkType;
            this.#startCounters = reply.interfaceCounters;
            this.#logger.info({ linkType: linkTypeName(reply.linkType), filter: config.filter, pid: child.pid }, 'live capture started');
            settle();
            return;
          case 'open-failed':
            settle(liveOpenError(this.device, new Error(reply.message)));
            return;
          case 'unsupported-link-type':
            settle(linkTypeUnsupportedError(reply.linkType, `interface '${this.device}' (libpcap reports '${reply.capLinkType}')`));
            return;
          case 'failed': {
            const err = liveProcessError(this.device, reply.message);
            if (!settled) settle(err);
            else this.#failWith(err);
            return;
          }
          default:
            this.#handleReply(reply);
        }
      });
      child.on('error', (err) => {
        const wrapped = liveProcessError(this.device, err.message, err);
        if (!settled) settle(wrapped);
        else this.#failWith(wrapped);
      });
      child.on('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!settled) settle(liveProcessError(this.device, `the capture process exited with ${how} before opening the interface`));
        else if (this.state === 'running') this.#failWith(liveProcessError(this.device, `the capture process exited with ${how}`));
      });
    });
  }

  #handleReply(reply: CaptureProcessReply): void {
    switch (reply.type) {
      case 'packets':
      case 'consumer':
        // A throwing handler would surface as an uncaught exception in the IPC listener.
        try {
          if (reply.type === 'consumer') this.#options.onConsumerMessage?.(reply.payload);
          else if (this.#options.onPacket) readPacketBatch(reply.buffer, reply.count, this.#packet, this.#options.onPacket);
        } catch (err) {
          this.#failWith(liveProcessError(this.device, `the packet handler threw: ${(err as Error).message}`, err));
        }
        return;
      case 'counts':
      case 'closed':
        this.#counts = reply.counts;
        this.#truncatedPackets = reply.truncatedPackets;
        this.#droppedBatchPackets = reply.droppedBatchPackets;
        this.#lastCounters = reply.interfaceCounters;
        return;
      default:
        return;
    }
  }

  #failWith(err: Error): void {
    this.#logger.error({ err }, 'live capture failed');
    this.fail(err);
  }

  protected async onClose(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'close' });
    // The process flushes, reports 'closed' and exits; one stuck in a flood burst is killed.
    const timeoutMs = this.#options.processTimeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([this.#exited!.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.#logger.warn({ timeoutMs, pid: child.pid }, 'capture process did not stop in time; killing it');
      child.kill('SIGKILL');
      await this.#exited;
    }
    this.#logger.info({ packetsRead: this.#counts?.packetsRead ?? 0 }, 'live capture stopped');
  }

  protected async onDestroy(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.#exited;
  }
}

/**
 * Forks the capture process with structured-clone IPC (ArrayBuffers pass without base64). From
 * TypeScript sources (vitest, tsx) the entry is a .ts file and the child loads tsx's hooks.
 */
function startCaptureProcess(config: CaptureProcessConfig): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSource ? './capture-process.ts' : './capture-process.js', import.meta.url));
  const execArgv = fromSource ? ['--import', resolveTsxLoader()] : [];
  return fork(entry, [JSON.stringify(config)], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** URL of tsx's loader, read from tsx's package exports so it resolves from any working directory. */
function resolveTsxLoader(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, string | Record<string, unknown>> };
  const entry = manifest.exports['.'];
  if (typeof entry !== 'string') throw new Error(`tsx ${manifestPath} has an unexpected exports map; run the compiled build instead`);
  return pathToFileURL(join(dirname(manifestPath), entry)).href;
}

function validateOptions(options: LivePacketSourceOptions): void {
  if (!/^[\w.:@-]{1,15}$/.test(options.device)) {
    throw captureOptionError('device', options.device, 'an interface name is 1 to 15 letters, digits or . : @ - _');
  }
  checkInteger('batchPackets', options.batchPackets, 1, MAX_BATCH_PACKETS);
  checkInteger('bufferSizeBytes', options.bufferSizeBytes, 65_536, 2 ** 31 - 1);
  checkInteger('flushIntervalMs', options.flushIntervalMs, 1, 10_000);
  checkInteger('maxMessagesInFlight', options.maxMessagesInFlight, 1, 65_536);
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw captureOptionError(name, value, `must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  }
}
