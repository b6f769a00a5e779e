import { fileFormatError, linkTypeUnsupportedError } from '../errors/capture.ts';
import { isSupportedLinkType } from './link-types.ts';
import type { PacketDelivery } from './packet-delivery.ts';
import { MAX_RECORD_BYTES, readU16, readU32 } from './pcap-format.ts';
import type { CaptureInterface, RecordParser } from './record-parser.ts';

const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
const BLOCK_INTERFACE_DESCRIPTION = 1;
const BLOCK_PACKET_OBSOLETE = 2;
const BLOCK_SIMPLE_PACKET = 3;
const BLOCK_ENHANCED_PACKET = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;
const TWO_POW_32 = 4294967296;
/** Interfaces kept per section; a section that declares more is treated as corrupt. */
const MAX_INTERFACES_PER_SECTION = 4096;
const MAX_BLOCK_BYTES = MAX_RECORD_BYTES + 1024;

interface PcapngInterface extends CaptureInterface {
  /** Conversion of raw timestamp units to microseconds: multiply, exact decimal divide, or float. */
  timestampMode: 'multiply' | 'divide' | 'float';
  timestampFactor: number;
  timestampOffsetUs: number;
}

/** Returns true when the first four bytes are the pcapng Section Header Block type. */
export function isPcapngMagic(bytes: Uint8Array): boolean {
  return readU32(bytes, 0, true) === BLOCK_SECTION_HEADER;
}

/**
 * pcapng: a sequence of blocks, each `type, total length, body, total length`. Reads Section
 * Header, Interface Description, Enhanced, Simple and obsolete Packet blocks with their options;
 * skips every other block by its length. Every section may change the byte order and restarts
 * interface numbering; packets carry a file-wide interface index.
 */
export class PcapngParser implements RecordParser {
  readonly format = 'pcapng' as const;
  byteOrder: 'little-endian' | 'big-endian' = 'little-endian';
  pendingBytes = 0;
  corruption: string | undefined;
  readonly #path: string;
  readonly #delivery: PacketDelivery;
  #littleEndian = true;
  #section: PcapngInterface[] = [];
  readonly #all: PcapngInterface[] = [];
  #blocks = 0;

  constructor(path: string, delivery: PacketDelivery) {
    this.#path = path;
    this.#delivery = delivery;
  }

  parseHeader(bytes: Uint8Array, end: number): number {
    if (end < 28) throw fileFormatError(this.#path, `the file is ${end} bytes long, shorter than a 28-byte pcapng Section Header Block`);
    const problem = this.#readSectionHeader(bytes, 0, end);
    if (problem) throw fileFormatError(this.#path, problem);
    this.#blocks = 1;
    return readU32(bytes, 4, this.#littleEndian);
  }

  parse(bytes: Uint8Array, pos: number, end: number): number {
    this.pendingBytes = 0;
    while (end - pos >= 12) {
      const type = readU32(bytes, pos, this.#littleEndian);
      if (type === BLOCK_SECTION_HEADER) {
        // A new section may switch byte order; its header must be whole before the length is read.
        const blockLength = sectionLength(bytes, pos);
        if (blockLength === undefined || blockLength < 28 || blockLength > MAX_BLOCK_BYTES) {
          this.corruption = `block ${this.#blocks + 1} is a Section Header Block with an invalid byte-order magic or length`;
          break;
        }
        if (end - pos < blockLength) {
          this.pendingBytes = blockLength;
          break;
        }
        const problem = this.#readSectionHeader(bytes, pos, end);
        if (problem) {
          this.corruption = `block ${this.#blocks + 1}: ${problem}`;
          break;
        }
        this.#blocks++;
        pos += blockLength;
        continue;
      }

      const little = this.#littleEndian;
      const length = readU32(bytes, pos + 4, little);
      if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_BYTES) {
        this.corruption = `block ${this.#blocks + 1} (type ${type}) has total length ${length}, which is not a multiple of 4 between 12 and ${MAX_BLOCK_BYTES}`;
        break;
      }
      if (end - pos < length) {
        this.pendingBytes = length;
        break;
      }
      if (readU32(bytes, pos + length - 4, little) !== length) {
        this.corruption = `block ${this.#blocks + 1} (type ${type}) has different total lengths in its header and trailer`;
        break;
      }
      const problem = this.#readBlock(type, bytes, pos, length);
      if (problem) {
        this.corruption = `block ${this.#blocks + 1} (type ${type}): ${problem}`;
        break;
      }
      this.#blocks++;
      pos += length;
    }
    return pos;
  }

  interfaces(): CaptureInterface[] {
    return this.#all.map(({ interfaceId, linkType, snapLengthBytes, timestampResolution, packets }) => ({
      interfaceId,
      linkType,
      snapLengthBytes,
      timestampResolution,
      packets,
    }));
  }

  /** Reads a Section Header Block at `pos`; returns a problem description or undefined. */
  #readSectionHeader(bytes: Uint8Array, pos: number, end: number): string | undefined {
    if (readU32(bytes, pos, true) !== BLOCK_SECTION_HEADER) return 'the first block is not a Section Header Block';
    const magicLittle = readU32(bytes, pos + 8, true);
    if (magicLittle !== BYTE_ORDER_MAGIC && readU32(bytes, pos + 8, false) !== BYTE_ORDER_MAGIC) {
      return `the byte-order magic is 0x${magicLittle.toString(16)}, not 0x1a2b3c4d in either byte order`;
    }
    const little = magicLittle === BYTE_ORDER_MAGIC;
    const length = readU32(bytes, pos + 4, little);
    if (length < 28 || length % 4 !== 0 || length > MAX_BLOCK_BYTES) return `the Section Header Block length ${length} is not a multiple of 4 between 28 and ${MAX_BLOCK_BYTES}`;
    if (end - pos < length) return `the Section Header Block claims ${length} bytes but only ${end - pos} are present`;
    if (readU32(bytes, pos + length - 4, little) !== length) return 'the Section Header Block has different total lengths in its header and trailer';
    const major = readU16(bytes, pos + 12, little);
    if (major !== 1) return `pcapng major version ${major} is not 1`;
    const optionProblem = checkOptions(bytes, pos + 24, pos + length - 4, little);
    if (optionProblem) return `Section Header Block ${optionProblem}`;

    this.#littleEndian = little;
    this.byteOrder = little ? 'little-endian' : 'big-endian';
    this.#section = [];
    return undefined;
  }

  #readBlock(type: number, bytes: Uint8Array, pos: number, length: number): string | undefined {
    const little = this.#littleEndian;
    switch (type) {
      case BLOCK_ENHANCED_PACKET: {
        if (length < 32) return 'an Enhanced Packet Block shorter than 32 bytes';
        const interfaceId = readU32(bytes, pos + 8, little);
        const capturedLength = readU32(bytes, pos + 20, little);
        if (capturedLength > length - 32) return `captured length ${capturedLength} overruns the block of ${length} bytes`;
        return this.#deliver(interfaceId, readU32(bytes, pos + 12, little), readU32(bytes, pos + 16, little), bytes, pos + 28, capturedLength, readU32(bytes, pos + 24, little));
      }
      case BLOCK_SIMPLE_PACKET: {
        if (length < 16) return 'a Simple Packet Block shorter than 16 bytes';
        const wireLength = readU32(bytes, pos + 8, little);
        const iface = this.#section[0];
        if (!iface) return 'a Simple Packet Block before any Interface Description Block';
        let capturedLength = Math.min(wireLength, length - 16);
        if (iface.snapLengthBytes > 0 && capturedLength > iface.snapLengthBytes) capturedLength = iface.snapLengthBytes;
        // Simple Packet Blocks carry no timestamp: the packet gets time 0.
        return this.#deliver(0, 0, 0, bytes, pos + 12, capturedLength, wireLength);
      }
      case BLOCK_PACKET_OBSOLETE: {
        if (length < 32) return 'a Packet Block shorter than 32 bytes';
        const interfaceId = readU16(bytes, pos + 8, little);
        const capturedLength = readU32(bytes, pos + 20, little);
        if (capturedLength > length - 32) return `captured length ${capturedLength} overruns the block of ${length} bytes`;
        return this.#deliver(interfaceId, readU32(bytes, pos + 12, little), readU32(bytes, pos + 16, little), bytes, pos + 28, capturedLength, readU32(bytes, pos + 24, little));
      }
      case BLOCK_INTERFACE_DESCRIPTION:
        return this.#readInterface(bytes, pos, length);
      default:
        return undefined;
    }
  }

  #readInterface(bytes: Uint8Array, pos: number, length: number): string | undefined {
    const little = this.#littleEndian;
    if (length < 20) return 'an Interface Description Block shorter than 20 bytes';
    if (this.#section.length >= MAX_INTERFACES_PER_SECTION) return `more than ${MAX_INTERFACES_PER_SECTION} interfaces in one section`;
    const linkType = readU16(bytes, pos + 8, little);
    const optionsEnd = pos + length - 4;
    const optionProblem = checkOptions(bytes, pos + 16, optionsEnd, little);
    if (optionProblem) return `Interface Description Block ${optionProblem}`;
    if (!isSupportedLinkType(linkType)) {
      throw linkTypeUnsupportedError(linkType, `interface ${this.#all.length} of capture file '${this.#path}'`);
    }

    let resolution = 6;
    let offsetSeconds = 0;
    for (let option = pos + 16; option + 4 <= optionsEnd; ) {
      const code = readU16(bytes, option, little);
      const valueLength = readU16(bytes, option + 2, little);
      if (code === OPTION_END) break;
      if (code === OPTION_IF_TSRESOL && valueLength >= 1) resolution = bytes[option + 4];
      if (code === OPTION_IF_TSOFFSET && valueLength >= 8) {
        const high = readU32(bytes, option + 4 + (little ? 4 : 0), little) | 0;
        const low = readU32(bytes, option + 4 + (little ? 0 : 4), little);
        offsetSeconds = high * TWO_POW_32 + low;
      }
      option += 4 + ((valueLength + 3) & ~3);
    }

    const iface: PcapngInterface = {
      interfaceId: this.#all.length,
      linkType,
      snapLengthBytes: readU32(bytes, pos + 12, little),
      packets: 0,
      timestampOffsetUs: offsetSeconds * 1_000_000,
      ...timestampScale(resolution),
    };
    this.#section.push(iface);
    this.#all.push(iface);
    return undefined;
  }

  #deliver(
    sectionInterface: number,
    timestampHigh: number,
    timestampLow: number,
    bytes: Uint8Array,
    dataStart: number,
    capturedLength: number,
    wireLength: number,
  ): string | undefined {
    const iface = this.#section[sectionInterface];
    if (!iface) return `packet names interface ${sectionInterface}, but the section describes ${this.#section.length}`;
    let timestampUs: number;
    let extraNs = 0;
    const factor = iface.timestampFactor;
    if (iface.timestampMode === 'divide') {
      // Splitting at 2^32 keeps the division exact: the remainder times 2^32 stays below 2^53.
      const remainder = (timestampHigh % factor) * TWO_POW_32 + timestampLow;
      timestampUs = Math.floor(timestampHigh / factor) * TWO_POW_32 + Math.floor(remainder / factor);
      extraNs = Math.floor(((remainder % factor) * 1000) / factor);
    } else if (iface.timestampMode === 'multiply') {
      timestampUs = (timestampHigh * TWO_POW_32 + timestampLow) * factor;
    } else {
      timestampUs = Math.floor((timestampHigh * TWO_POW_32 + timestampLow) * factor);
    }
    iface.packets++;
    this.#delivery.deliver(iface.linkType, bytes, dataStart, capturedLength, wireLength, timestampUs + iface.timestampOffsetUs, extraNs, iface.interfaceId);
    return undefined;
  }
}

/** Length of the Section Header Block at `pos` in the byte order its own magic gives. */
function sectionLength(bytes: Uint8Array, pos: number): number | undefined {
  if (readU32(bytes, pos + 8, true) === BYTE_ORDER_MAGIC) return readU32(bytes, pos + 4, true);
  if (readU32(bytes, pos + 8, false) === BYTE_ORDER_MAGIC) return readU32(bytes, pos + 4, false);
  return undefined;
}

/** Checks that every option in [pos, end) fits; returns a problem description or undefined. */
function checkOptions(bytes: Uint8Array, pos: number, end: number, little: boolean): string | undefined {
  while (end - pos >= 4) {
    const code = readU16(bytes, pos, little);
    const length = readU16(bytes, pos + 2, little);
    if (code === OPTION_END) return undefined;
    const padded = (length + 3) & ~3;
    if (pos + 4 + padded > end) return `option ${code} of length ${length} overruns the block`;
    pos += 4 + padded;
  }
  return undefined;
}

/**
 * if_tsresol: with the top bit clear the unit is 10^-N s, otherwise 2^-N s. Decimal units up
 * to 10^-12 s divide exactly; finer decimal and all binary units use floating point.
 */
function timestampScale(resolution: number): Pick<PcapngInterface, 'timestampMode' | 'timestampFactor' | 'timestampResolution'> {
  const exponent = resolution & 0x7f;
  if ((resolution & 0x80) !== 0) {
    return { timestampMode: 'float', timestampFactor: 1_000_000 / 2 ** exponent, timestampResolution: `2^-${exponent} s` };
  }
  let label = `10^-${exponent} s`;
  if (exponent === 6) label = 'us';
  if (exponent === 9) label = 'ns';
  if (exponent <= 6) return { timestampMode: 'multiply', timestampFactor: 10 ** (6 - exponent), timestampResolution: label };
  if (exponent <= 12) return { timestampMode: 'divide', timestampFactor: 10 ** (exponent - 6), timestampResolution: label };
  return { timestampMode: 'float', timestampFactor: 10 ** (6 - exponent), timestampResolution: label };
}
