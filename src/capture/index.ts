/**
 * Packet capture and decoding: capture files (pcap, pcapng), live capture through libpcap in a
 * worker thread, and the frame decoder both share.
 */
export * from './packet.ts';
export { decodeFrame } from './decode.ts';
export { readCaptureFile, type CaptureFileStats, type ReadCaptureFileOptions } from './capture-file.ts';
export type { CaptureInterface } from './record-parser.ts';
export { CaptureCounters, type PacketCounts } from './capture-counters.ts';
export { PacketDelivery, type FrameHandler, type SkipHandler } from './packet-delivery.ts';
export { SKIP_REASONS, skipReasonName, type SkipReason, type DecodeResult } from './skip-reasons.ts';
export * from './link-types.ts';
export type { PacketSource } from './packet-source.ts';
export { FilePacketSource, type FilePacketSourceOptions } from './file-source.ts';
