import { open, type FileHandle } from 'node:fs/promises';
import { fileFormatError, fileOpenError } from '../errors/capture.ts';
import type { CaptureCounters, PacketCounts } from './capture-counters.ts';
import type { PacketHandler } from './packet.ts';
import { PacketDelivery, type FrameHandler, type SkipHandler } from './packet-delivery.ts';
import { MAX_RECORD_BYTES, PcapParser, isPcapMagic } from './pcap-format.ts';
import { PcapngParser, isPcapngMagic } from './pcapng-format.ts';
import type { CaptureInterface, RecordParser } from './record-parser.ts';

export interface ReadCaptureFileOptions {
  /** Stops reading at the next chunk boundary; the returned stats then have `aborted: true`. */
  signal?: AbortSignal;
  /** Called for every skipped (malformed) frame, which never reaches `onPacket`. */
  onSkip?: SkipHandler;
  /** Called with every raw frame before it is decoded (hex dumps, test corpora). */
  onFrame?: FrameHandler;
  /** Awaited after the records of each chunk, so a slow consumer (a pipe) can apply backpressure. */
  afterChunk?: () => Promise<void> | void;
  /** Receives the live counters once reading starts, for progress reports while it runs. */
  onCounters?: (counters: CaptureCounters) => void;
  /** Bytes read from the file per call; 4 MiB by default, at least 64 KiB. */
  chunkBytes?: number;
}

export interface CaptureFileStats extends PacketCounts {
  path: string;
  format: 'pcap' | 'pcapng';
  /** Byte order of the file (of its last section for pcapng). */
  byteOrder: 'little-endian' | 'big-endian';
  interfaces: CaptureInterface[];
  fileBytes: number;
  /** True when the file ends inside a record: every whole record before it was delivered. */
  truncated: boolean;
  /** True when the data after the header is structurally broken and reading stopped there. */
  corrupt: boolean;
  aborted: boolean;
  /** Human-readable notes on truncation or corruption, empty for a clean file. */
  warnings: string[];
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 64 * 1024;

/**
 * Streams a pcap or pcapng file (chosen by magic number, never by extension), decodes every
 * record into one reused packet and calls `onPacket` synchronously for each decoded frame.
 *
 * Malformed frames are counted by skip reason and not delivered. Non-IP frames are delivered
 * with ipVersion 0, so `packetsRead` equals the number of records tcpdump reads. An invalid
 * file header or an unsupported link type rejects with a coded error; a file cut inside a
 * record or corrupt after its header resolves with every whole record and a warning.
 */
export async function readCaptureFile(path: string, onPacket: PacketHandler, options: ReadCaptureFileOptions = {}): Promise<CaptureFileStats> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fileOpenError(path, err);
  }
  try {
    if ((await handle.stat()).isDirectory()) throw fileOpenError(path, new Error('it is a directory, not a file'));
    return await readOpenFile(handle, path, onPacket, options);
  } finally {
    await handle.close();
  }
}

async function readOpenFile(handle: FileHandle, path: string, onPacket: PacketHandler, options: ReadCaptureFileOptions): Promise<CaptureFileStats> {
  const chunkBytes = Math.max(MIN_CHUNK_BYTES, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  let buffer = Buffer.allocUnsafe(chunkBytes);
  let fileBytes = 0;
  let filled = await readInto(handle, buffer, 0);
  let eof = filled < buffer.length;
  fileBytes += filled;

  if (filled < 4) throw fileFormatError(path, `the file is ${filled} bytes long, too short for a magic number`);
  const delivery = new PacketDelivery(onPacket, options.onSkip, options.onFrame);
  options.onCounters?.(delivery.counters);
  let parser: RecordParser;
  if (isPcapMagic(buffer)) parser = new PcapParser(path, delivery);
  else if (isPcapngMagic(buffer)) parser = new PcapngParser(path, delivery);
  else {
    const magic = buffer.subarray(0, 4).toString('hex');
    throw fileFormatError(path, `magic number 0x${magic} is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)`);
  }

  let pos = parser.parseHeader(buffer, filled);
  const warnings: string[] = [];
  let truncated = false;
  let aborted = false;
  let corrupt = false;
  for (;;) {
    pos = parser.parse(buffer, pos, filled);
    if (parser.corruption) {
      corrupt = true;
      warnings.push(`'${path}' is corrupt after ${delivery.counters.packetsRead} packets: ${parser.corruption}`);
      break;
    }
    if (eof) {
      if (pos < filled) {
        truncated = true;
        warnings.push(
          `'${path}' ends inside a record: ${filled - pos} bytes follow the last whole record (${delivery.counters.packetsRead} packets read); the file was cut while being written or copied`,
        );
      }
      break;
    }
    if (options.afterChunk) await options.afterChunk();
    if (options.signal?.aborted) {
      aborted = true;
      break;
    }

    // Keep the incomplete record and refill; grow the buffer only for a record larger than it.
    const remaining = filled - pos;
    const needed = Math.min(parser.pendingBytes, MAX_RECORD_BYTES + 2048);
    if (needed > buffer.length) {
      const larger = Buffer.allocUnsafe(needed);
      buffer.copy(larger, 0, pos, filled);
      buffer = larger;
    } else {
      buffer.copyWithin(0, pos, filled);
    }
    pos = 0;
    filled = remaining;
    if (filled === buffer.length) {
      // A parser that cannot progress on a full buffer would loop forever; treat it as corruption.
      corrupt = true;
      warnings.push(`'${path}' is corrupt after ${delivery.counters.packetsRead} packets: a record does not fit in ${buffer.length} bytes`);
      break;
    }
    const bytesRead = await readInto(handle, buffer, filled);
    fileBytes += bytesRead;
    filled += bytesRead;
    eof = filled < buffer.length;
  }

  const counts = delivery.counters;
  const interfaces = parser.interfaces();
  for (const iface of interfaces) counts.addLinkType(iface.linkType, iface.packets);
  return {
    path,
    format: parser.format,
    byteOrder: parser.byteOrder,
    interfaces,
    fileBytes,
    truncated,
    corrupt,
    aborted,
    warnings,
    ...counts.snapshot(),
  };
}

/** Fills `buffer` from `start` until it is full or the file ends; returns the bytes read. */
async function readInto(handle: FileHandle, buffer: Buffer, start: number): Promise<number> {
  let total = 0;
  while (start + total < buffer.length) {
    const { bytesRead } = await handle.read(buffer, start + total, buffer.length - start - total, null);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}
