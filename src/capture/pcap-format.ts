import { fileFormatError, linkTypeUnsupportedError } from '../errors/capture.ts';
import { isSupportedLinkType } from './link-types.ts';
import type { PacketDelivery } from './packet-delivery.ts';
import type { CaptureInterface, RecordParser } from './record-parser.ts';

const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
// Bits 16-25 of the link-type field are reserved and must be zero; bits 26-31 carry FCS information.
const LINK_TYPE_RESERVED_BITS = 0x03ff0000;
/**
 * Maximum captured length accepted in one record. libpcap allows 262,144 bytes for most link
 * types. The bound is higher so that BIG TCP captures (up to 512 KiB on Linux) read, and low
 * enough that a corrupt length cannot make the reader allocate without limit.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** True when the first four bytes are a classic pcap magic number in either byte order. */
export function isPcapMagic(bytes: Uint8Array): boolean {
  const big = readU32(bytes, 0, false);
  const little = readU32(bytes, 0, true);
  return big === MAGIC_MICROSECONDS || big === MAGIC_NANOSECONDS || little === MAGIC_MICROSECONDS || little === MAGIC_NANOSECONDS;
}

/** Classic pcap: a 24-byte file header, then 16-byte record headers each followed by the frame. */
export class PcapParser implements RecordParser {
  readonly format = 'pcap' as const;
  byteOrder: 'little-endian' | 'big-endian' = 'little-endian';
  pendingBytes = 0;
  corruption: string | undefined;
  readonly #path: string;
  readonly #delivery: PacketDelivery;
  #littleEndian = true;
  #nanoseconds = false;
  #linkType = 0;
  #snapLength = 0;
  #packets = 0;

  constructor(path: string, delivery: PacketDelivery) {
    this.#path = path;
    this.#delivery = delivery;
  }

  parseHeader(bytes: Uint8Array, end: number): number {
    if (end < PCAP_HEADER_BYTES) {
      throw fileFormatError(this.#path, `the file is ${end} bytes long, shorter than the 24-byte pcap header`);
    }
    const magicLittle = readU32(bytes, 0, true);
    this.#littleEndian = magicLittle === MAGIC_MICROSECONDS || magicLittle === MAGIC_NANOSECONDS;
    this.byteOrder = this.#littleEndian ? 'little-endian' : 'big-endian';
    this.#nanoseconds = readU32(bytes, 0, this.#littleEndian) === MAGIC_NANOSECONDS;

    const major = readU16(bytes, 4, this.#littleEndian);
    const minor = readU16(bytes, 6, this.#littleEndian);
    if (major !== 2) {
      throw fileFormatError(this.#path, `pcap version ${major}.${minor} is not 2.x (version 1 is an archaic layout that libpcap also rejects)`);
    }
    this.#snapLength = readU32(bytes, 16, this.#littleEndian);
    const linkField = readU32(bytes, 20, this.#littleEndian);
    if ((linkField & LINK_TYPE_RESERVED_BITS) !== 0) {
      const reserved = (linkField & LINK_TYPE_RESERVED_BITS) >>> 0;
      throw fileFormatError(this.#path, `reserved bits of the link-type field are set (0x${reserved.toString(16).padStart(8, '0')}), which no pcap writer does`);
    }
    this.#linkType = linkField & 0xffff;
    if (!isSupportedLinkType(this.#linkType)) throw linkTypeUnsupportedError(this.#linkType, `capture file '${this.#path}'`);
    return PCAP_HEADER_BYTES;
  }

  parse(bytes: Uint8Array, pos: number, end: number): number {
    const little = this.#littleEndian;
    const nanoseconds = this.#nanoseconds;
    const linkType = this.#linkType;
    const delivery = this.#delivery;
    let packets = 0;
    this.pendingBytes = 0;
    while (end - pos >= RECORD_HEADER_BYTES) {
      const seconds = readU32(bytes, pos, little);
      const fraction = readU32(bytes, pos + 4, little);
      const capturedLength = readU32(bytes, pos + 8, little);
      const wireLength = readU32(bytes, pos + 12, little);
      if (capturedLength > MAX_RECORD_BYTES) {
        this.corruption = `record ${this.#packets + packets + 1} claims ${capturedLength} captured bytes, above the ${MAX_RECORD_BYTES}-byte limit; the rest of the file is corrupt`;
        break;
      }
      const recordBytes = RECORD_HEADER_BYTES + capturedLength;
      if (end - pos < recordBytes) {
        this.pendingBytes = recordBytes;
        break;
      }
      // Out-of-range fractions (ts_usec ≥ 1,000,000) are kept as written and carry into the seconds.
      let timestampUs: number;
      let extraNs = 0;
      if (nanoseconds) {
        timestampUs = seconds * 1_000_000 + Math.floor(fraction / 1000);
        extraNs = fraction % 1000;
      } else {
        timestampUs = seconds * 1_000_000 + fraction;
      }
      delivery.deliver(linkType, bytes, pos + RECORD_HEADER_BYTES, capturedLength, wireLength, timestampUs, extraNs, 0);
      packets++;
      pos += recordBytes;
    }
    this.#packets += packets;
    return pos;
  }

  interfaces(): CaptureInterface[] {
    return [
      {
        interfaceId: 0,
        linkType: this.#linkType,
        snapLengthBytes: this.#snapLength,
        timestampResolution: this.#nanoseconds ? 'ns' : 'us',
        packets: this.#packets,
      },
    ];
  }
}

export function readU32(bytes: Uint8Array, pos: number, little: boolean): number {
  if (little) return (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24)) >>> 0;
  return ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0;
}

export function readU16(bytes: Uint8Array, pos: number, little: boolean): number {
  return little ? bytes[pos] | (bytes[pos + 1] << 8) : (bytes[pos] << 8) | bytes[pos + 1];
}
