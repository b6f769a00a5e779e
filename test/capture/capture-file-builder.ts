/**
 * Builders of whole pcap and pcapng files as byte buffers, for reader tests that need a
 * particular byte order, timestamp unit, block layout or corruption.
 */

export interface PcapRecord {
  seconds: number;
  /** Microseconds or nanoseconds, as the file's magic number selects. */
  fraction: number;
  frame: Uint8Array;
  wireLength?: number;
}

export function buildPcap(options: { littleEndian: boolean; nanoseconds: boolean; linkType: number; records: PcapRecord[] }): Buffer {
  const { littleEndian } = options;
  const header = Buffer.alloc(24);
  writeU32(header, 0, options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  writeU16(header, 4, 2, littleEndian);
  writeU16(header, 6, 4, littleEndian);
  writeU32(header, 16, 65535, littleEndian);
  writeU32(header, 20, options.linkType, littleEndian);
  const parts = [header];
  for (const record of options.records) {
    const recordHeader = Buffer.alloc(16);
    writeU32(recordHeader, 0, record.seconds, littleEndian);
    writeU32(recordHeader, 4, record.fraction, littleEndian);
    writeU32(recordHeader, 8, record.frame.length, littleEndian);
    writeU32(recordHeader, 12, record.wireLength ?? record.frame.length, littleEndian);
    parts.push(recordHeader, Buffer.from(record.frame));
  }
  return Buffer.concat(parts);
}

/** A pcapng file assembled block by block in one byte order. */
export class PcapngBuilder {
  readonly #parts: Buffer[] = [];
  readonly #little: boolean;

  constructor(littleEndian = true) {
    this.#little = littleEndian;
  }

  sectionHeader(options: Buffer[] = []): this {
    const body = Buffer.alloc(16);
    writeU32(body, 0, 0x1a2b3c4d, this.#little);
    writeU16(body, 4, 1, this.#little);
    writeU16(body, 6, 0, this.#little);
    body.fill(0xff, 8, 16); // section length unknown (-1)
    return this.block(0x0a0d0d0a, Buffer.concat([body, ...options, ...(options.length > 0 ? [this.endOfOptions()] : [])]));
  }

  /** Interface Description Block; `tsresol` is the raw if_tsresol byte, `tsoffsetSeconds` if_tsoffset. */
  interface(linkType: number, options: { snapLength?: number; tsresol?: number; tsoffsetSeconds?: number } = {}): this {
    const body = Buffer.alloc(8);
    writeU16(body, 0, linkType, this.#little);
    writeU32(body, 4, options.snapLength ?? 0, this.#little);
    const optionParts: Buffer[] = [];
    if (options.tsresol !== undefined) optionParts.push(this.option(9, Buffer.from([options.tsresol])));
    if (options.tsoffsetSeconds !== undefined) {
      const value = Buffer.alloc(8);
      if (this.#little) value.writeBigInt64LE(BigInt(options.tsoffsetSeconds));
      else value.writeBigInt64BE(BigInt(options.tsoffsetSeconds));
      optionParts.push(this.option(14, value));
    }
    if (optionParts.length > 0) optionParts.push(this.endOfOptions());
    return this.block(1, Buffer.concat([body, ...optionParts]));
  }

  /** Enhanced Packet Block; `timestamp` is in the interface's units. */
  enhancedPacket(interfaceId: number, timestamp: bigint, frame: Uint8Array, wireLength = frame.length, withComment = false): this {
    const body = Buffer.alloc(20);
    writeU32(body, 0, interfaceId, this.#little);
    writeU32(body, 4, Number(timestamp >> 32n), this.#little);
    writeU32(body, 8, Number(timestamp & 0xffffffffn), this.#little);
    writeU32(body, 12, frame.length, this.#little);
    writeU32(body, 16, wireLength, this.#little);
    const comment = withComment ? [this.option(1, Buffer.from('a comment')), this.endOfOptions()] : [];
    return this.block(6, Buffer.concat([body, pad(Buffer.from(frame)), ...comment]));
  }

  simplePacket(frame: Uint8Array, wireLength = frame.length): this {
    const body = Buffer.alloc(4);
    writeU32(body, 0, wireLength, this.#little);
    return this.block(3, Buffer.concat([body, pad(Buffer.from(frame))]));
  }

  /** Obsolete Packet Block (type 2), still written by old tools. */
  obsoletePacket(interfaceId: number, timestamp: bigint, frame: Uint8Array): this {
    const body = Buffer.alloc(20);
    writeU16(body, 0, interfaceId, this.#little);
    writeU32(body, 4, Number(timestamp >> 32n), this.#little);
    writeU32(body, 8, Number(timestamp & 0xffffffffn), this.#little);
    writeU32(body, 12, frame.length, this.#little);
    writeU32(body, 16, frame.length, this.#little);
    return this.block(2, Buffer.concat([body, pad(Buffer.from(frame))]));
  }

  /** Any block with its total length computed; `body` must already be padded to 4 bytes. */
  block(type: number, body: Buffer): this {
    const length = 12 + body.length;
    const head = Buffer.alloc(8);
    writeU32(head, 0, type, this.#little);
    writeU32(head, 4, length, this.#little);
    const tail = Buffer.alloc(4);
    writeU32(tail, 0, length, this.#little);
    this.#parts.push(head, body, tail);
    return this;
  }

  /** Raw bytes appended as they are (corrupt blocks). */
  raw(bytes: Buffer): this {
    this.#parts.push(bytes);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.#parts);
  }

  option(code: number, value: Buffer): Buffer {
    const head = Buffer.alloc(4);
    writeU16(head, 0, code, this.#little);
    writeU16(head, 2, value.length, this.#little);
    return Buffer.concat([head, pad(value)]);
  }

  endOfOptions(): Buffer {
    return Buffer.alloc(4);
  }
}

function pad(bytes: Buffer): Buffer {
  const padded = (bytes.length + 3) & ~3;
  return padded === bytes.length ? bytes : Buffer.concat([bytes, Buffer.alloc(padded - bytes.length)]);
}

function writeU32(buffer: Buffer, at: number, value: number, little: boolean): void {
  if (little) buffer.writeUInt32LE(value >>> 0, at);
  else buffer.writeUInt32BE(value >>> 0, at);
}

function writeU16(buffer: Buffer, at: number, value: number, little: boolean): void {
  if (little) buffer.writeUInt16LE(value, at);
  else buffer.writeUInt16BE(value, at);
}
