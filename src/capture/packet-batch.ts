import type { DecodedPacket, PacketHandler } from './packet.ts';

/**
 * Compact encoding of decoded packets: 29 unsigned 32-bit words per packet in one ArrayBuffer,
 * so the capture process hands thousands of packets over with one IPC message (or one
 * transfer between threads). Word layout (bit positions in brackets):
 *
 *  0 timestamp high 32 bits   1 timestamp low 32 bits   2 timestampExtraNs   3 interfaceId
 *  4 linkType   5 capturedLength   6 wireLength
 *  7 linkHeaderLength [0-15] vlanDepth [16-23] ipVersion [24-31]
 *  8 vlanId + 1 [0-15] isFragment [16] moreFragments [17] l4Decoded [18]
 *  9 src4  10 dst4  11-14 src6  15-18 dst6
 * 19 ipHeaderLength [0-15] ttl [16-23] protocol [24-31]   20 ipTotalLength
 * 21 fragmentOffset   22 fragmentId   23 srcPort [0-15] dstPort [16-31]
 * 24 tcpFlags [0-7] icmpType [8-15] icmpCode [16-23]   25 tcpWindow [0-15] l4HeaderLength [16-31]
 * 26 tcpSeq   27 tcpAck   28 payloadLength
 */
export const PACKET_BATCH_WORDS = 29;
const TWO_POW_32 = 4294967296;

export class PacketBatchWriter {
  readonly capacity: number;
  #words: Uint32Array;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#words = new Uint32Array(capacity * PACKET_BATCH_WORDS);
  }

  get count(): number {
    return this.#count;
  }

  /** Appends one packet; returns true when the batch is full and should be taken. */
  add(packet: DecodedPacket): boolean {
    const w = this.#words;
    const at = this.#count * PACKET_BATCH_WORDS;
    const timestamp = packet.timestampUs;
    w[at] = Math.floor(timestamp / TWO_POW_32);
    w[at + 1] = timestamp % TWO_POW_32;
    w[at + 2] = packet.timestampExtraNs;
    w[at + 3] = packet.interfaceId;
    w[at + 4] = packet.linkType;
    w[at + 5] = packet.capturedLength;
    w[at + 6] = packet.wireLength;
    w[at + 7] = (packet.linkHeaderLength & 0xffff) | ((packet.vlanDepth & 0xff) << 16) | (packet.ipVersion << 24);
    w[at + 8] = ((packet.vlanId + 1) & 0xffff) | (packet.isFragment ? 0x10000 : 0) | (packet.moreFragments ? 0x20000 : 0) | (packet.l4Decoded ? 0x40000 : 0);
    w[at + 9] = packet.src4;
    w[at + 10] = packet.dst4;
    if (packet.ipVersion === 6) {
      const src = packet.src6;
      const dst = packet.dst6;
      for (let i = 0; i < 4; i++) {
        const b = i * 4;
        w[at + 11 + i] = (src[b] << 24) | (src[b + 1] << 16) | (src[b + 2] << 8) | src[b + 3];
        w[at + 15 + i] = (dst[b] << 24) | (dst[b + 1] << 16) | (dst[b + 2] << 8) | dst[b + 3];
      }
    }
    w[at + 19] = (packet.ipHeaderLength & 0xffff) | ((packet.ttl & 0xff) << 16) | ((packet.protocol & 0xff) << 24);
    w[at + 20] = packet.ipTotalLength;
    w[at + 21] = packet.fragmentOffset;
    w[at + 22] = packet.fragmentId;
    w[at + 23] = packet.srcPort | (packet.dstPort << 16);
    w[at + 24] = packet.tcpFlags | (packet.icmpType << 8) | (packet.icmpCode << 16);
    w[at + 25] = packet.tcpWindow | (packet.l4HeaderLength << 16);
    w[at + 26] = packet.tcpSeq;
    w[at + 27] = packet.tcpAck;
    w[at + 28] = packet.payloadLength;
    this.#count++;
    return this.#count >= this.capacity;
  }

  /**
   * Returns the batch buffer with its packet count and starts a new one (one allocation per
   * batch, none per packet), or undefined when empty.
   */
  take(): { buffer: ArrayBuffer; count: number } | undefined {
    if (this.#count === 0) return undefined;
    const count = this.#count;
    const buffer = this.#words.buffer as ArrayBuffer;
    this.#words = new Uint32Array(this.capacity * PACKET_BATCH_WORDS);
    this.#count = 0;
    return { buffer, count };
  }
}

/** Decodes `count` packets of a batch into the reused `out` and calls `handler` for each. */
export function readPacketBatch(buffer: ArrayBuffer, count: number, out: DecodedPacket, handler: PacketHandler): void {
  const w = new Uint32Array(buffer, 0, Math.min(count * PACKET_BATCH_WORDS, Math.floor(buffer.byteLength / 4)));
  const packets = Math.floor(w.length / PACKET_BATCH_WORDS);
  for (let p = 0; p < packets; p++) {
    const at = p * PACKET_BATCH_WORDS;
    out.timestampUs = w[at] * TWO_POW_32 + w[at + 1];
    out.timestampExtraNs = w[at + 2];
    out.interfaceId = w[at + 3];
    out.linkType = w[at + 4];
    out.capturedLength = w[at + 5];
    out.wireLength = w[at + 6];
    const link = w[at + 7];
    out.linkHeaderLength = link & 0xffff;
    out.vlanDepth = (link >>> 16) & 0xff;
    out.ipVersion = (link >>> 24) as DecodedPacket['ipVersion'];
    const bits = w[at + 8];
    out.vlanId = (bits & 0xffff) - 1;
    out.isFragment = (bits & 0x10000) !== 0;
    out.moreFragments = (bits & 0x20000) !== 0;
    out.l4Decoded = (bits & 0x40000) !== 0;
    out.src4 = w[at + 9];
    out.dst4 = w[at + 10];
    if (out.ipVersion === 6) {
      for (let i = 0; i < 4; i++) {
        const s = w[at + 11 + i];
        const d = w[at + 15 + i];
        const b = i * 4;
        out.src6[b] = s >>> 24;
        out.src6[b + 1] = (s >>> 16) & 0xff;
        out.src6[b + 2] = (s >>> 8) & 0xff;
        out.src6[b + 3] = s & 0xff;
        out.dst6[b] = d >>> 24;
        out.dst6[b + 1] = (d >>> 16) & 0xff;
        out.dst6[b + 2] = (d >>> 8) & 0xff;
        out.dst6[b + 3] = d & 0xff;
      }
    }
    const ip = w[at + 19];
    out.ipHeaderLength = ip & 0xffff;
    out.ttl = (ip >>> 16) & 0xff;
    out.protocol = ip >>> 24;
    out.ipTotalLength = w[at + 20];
    out.fragmentOffset = w[at + 21];
    out.fragmentId = w[at + 22];
    const ports = w[at + 23];
    out.srcPort = ports & 0xffff;
    out.dstPort = ports >>> 16;
    const icmp = w[at + 24];
    out.tcpFlags = icmp & 0xff;
    out.icmpType = (icmp >>> 8) & 0xff;
    out.icmpCode = (icmp >>> 16) & 0xff;
    const window = w[at + 25];
    out.tcpWindow = window & 0xffff;
    out.l4HeaderLength = window >>> 16;
    out.tcpSeq = w[at + 26];
    out.tcpAck = w[at + 27];
    out.payloadLength = w[at + 28];
    handler(out);
  }
}
