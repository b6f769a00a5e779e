/**
 * Packet capture and decoding: capture files (pcap, pcapng), live capture through libpcap in a
 * child process, and the frame decoder both share.
 */
export * from './packet.ts';
export { decodeFrame } from './decode.ts';
export { readCaptureFile, type CaptureFileStats, type ReadCaptureFileOptions } from './capture-file.ts';
export type { CaptureInterface } from './record-parser.ts';
export { CaptureCounters, emptyPacketCounts, type PacketCounts } from './capture-counters.ts';
export { PacketDelivery, type FrameHandler, type SkipHandler } from './packet-delivery.ts';
export { SKIP_REASONS, skipReasonName, type SkipReason, type DecodeResult } from './skip-reasons.ts';
export * from './link-types.ts';
export type { PacketSource } from './packet-source.ts';
export { FilePacketSource, type FilePacketSourceOptions } from './file-source.ts';
export { LivePacketSource, type LivePacketSourceOptions, type CaptureLossEstimate } from './live-source.ts';
export type { CapturePacketConsumer, CaptureConsumerFactory, CaptureConsumerMessage } from './capture-consumer.ts';
export { PacketBatchWriter, readPacketBatch, PACKET_BATCH_WORDS } from './packet-batch.ts';
export { readInterfaceCounters, type InterfaceCounters } from './interface-counters.ts';
