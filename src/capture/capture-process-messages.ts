import type { PacketCounts } from './capture-counters.ts';
import type { InterfaceCounters } from './interface-counters.ts';

/** Configuration the live source passes to its capture process (JSON in argv[2]). */
export interface CaptureProcessConfig {
  device: string;
  /** BPF filter expression; empty captures everything. */
  filter: string;
  /** libpcap ring buffer size in bytes. */
  bufferSizeBytes: number;
  /** Packets per batch of the default consumer. */
  batchPackets: number;
  flushIntervalMs: number;
  /** Unsent IPC messages the capture process allows before it drops batches. */
  maxMessagesInFlight: number;
  /** URL of a module exporting `createWorkerConsumer`; the default consumer ships packet batches. */
  consumerModule?: string;
  consumerOptions?: unknown;
}

/** Messages from the parent to the capture process. */
export type CaptureProcessRequest = { type: 'close' };

/** Messages from the capture process to the parent. */
export type CaptureProcessReply =
  | { type: 'ready'; linkType: number; capLinkType: string; interfaceCounters: InterfaceCounters | undefined }
  | { type: 'open-failed'; message: string }
  | { type: 'unsupported-link-type'; capLinkType: string; linkType: number }
  | { type: 'packets'; buffer: ArrayBuffer; count: number }
  | { type: 'consumer'; payload: unknown }
  | { type: 'counts' | 'closed'; counts: PacketCounts; truncatedPackets: number; droppedBatchPackets: number; interfaceCounters: InterfaceCounters | undefined }
  | { type: 'failed'; message: string; stack?: string };
