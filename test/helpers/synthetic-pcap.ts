import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Writers of generated pcap files (little-endian, microsecond, Ethernet) for tests and
 * benchmarks: a spoofed-source SYN flood, long HTTP-like TCP flows, and a SYN flood from a few
 * hosts mixed with HTTP-like flows. Output is deterministic for a given seed, so figures from two
 * runs compare.
 */

const ETHERNET_HEADER_BYTES = 14;
const IPV4_HEADER_BYTES = 20;
const TCP_HEADER_BYTES = 20;
const FLUSH_BYTES = 1 << 20;
/** Server of the generated traffic: 10.0.0.80. */
const SERVER4 = 0x0a000050;

export interface TcpFrameFields {
  src4: number;
  dst4: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payloadBytes: number;
  ttl?: number;
  ipId?: number;
}

/** Writes pcap records into a file in 1 MiB batches; `close()` flushes and returns the count. */
export class PcapWriter {
  readonly #fd: number;
  readonly #buffer = Buffer.alloc(FLUSH_BYTES + 70_000);
  #used = 0;
  packets = 0;

  constructor(path: string, linkType = 1, snapLength = 65535) {
    this.#fd = openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(snapLength, 16);
    header.writeUInt32LE(linkType, 20);
    writeSync(this.#fd, header);
  }

  /** Appends one record whose frame is `frame[0, capturedLength)`. */
  writeRecord(timestampUs: number, frame: Uint8Array, capturedLength: number, wireLength = capturedLength): void {
    const buffer = this.#buffer;
    const at = this.#used;
    buffer.writeUInt32LE(Math.floor(timestampUs / 1_000_000), at);
    buffer.writeUInt32LE(timestampUs % 1_000_000, at + 4);
    buffer.writeUInt32LE(capturedLength, at + 8);
    buffer.writeUInt32LE(wireLength, at + 12);
    buffer.set(frame.subarray(0, capturedLength), at + 16);
    this.#used = at + 16 + capturedLength;
    this.packets++;
    if (this.#used >= FLUSH_BYTES) this.#flush();
  }

  close(): number {
    this.#flush();
    closeSync(this.#fd);
    return this.packets;
  }

  #flush(): void {
    if (this.#used > 0) writeSync(this.#fd, this.#buffer, 0, this.#used);
    this.#used = 0;
  }
}

/**
 * Builds Ethernet + IPv4 + TCP (no options) into `frame` and returns the frame length. The
 * payload is zero bytes; frames shorter than 60 bytes are padded as Ethernet requires.
 */
export function buildTcpFrame(frame: Uint8Array, fields: TcpFrameFields): number {
  const ipLength = IPV4_HEADER_BYTES + TCP_HEADER_BYTES + fields.payloadBytes;
  const frameLength = Math.max(60, ETHERNET_HEADER_BYTES + ipLength);
  frame.fill(0, 0, frameLength);
  frame.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00], 0);
  const ip = ETHERNET_HEADER_BYTES;
  frame[ip] = 0x45;
  writeU16(frame, ip + 2, ipLength);
  writeU16(frame, ip + 4, fields.ipId ?? 0);
  frame[ip + 6] = 0x40; // don't fragment
  frame[ip + 8] = fields.ttl ?? 64;
  frame[ip + 9] = 6;
  writeU32(frame, ip + 12, fields.src4);
  writeU32(frame, ip + 16, fields.dst4);
  writeU16(frame, ip + 10, ipv4Checksum(frame, ip));
  const tcp = ip + IPV4_HEADER_BYTES;
  writeU16(frame, tcp, fields.srcPort);
  writeU16(frame, tcp + 2, fields.dstPort);
  writeU32(frame, tcp + 4, fields.seq);
  writeU32(frame, tcp + 8, fields.ack);
  frame[tcp + 12] = (TCP_HEADER_BYTES / 4) << 4;
  frame[tcp + 13] = fields.flags;
  writeU16(frame, tcp + 14, fields.window);
  return frameLength;
}

export interface SynFloodOptions {
  packets: number;
  /** Target of the flood, as an unsigned 32-bit IPv4 address; 10.0.0.80 by default. */
  target4?: number;
  targetPort?: number;
  /** Packets per second of capture time; 500,000 by default. */
  packetsPerSecond?: number;
  seed?: number;
}

/** Writes a SYN flood from random (spoofed) sources and ports to one target; returns the packet count. */
export function writeSynFloodPcap(path: string, options: SynFloodOptions): number {
  const random = xorshift32(options.seed ?? 0x5eed);
  const writer = new PcapWriter(path);
  const frame = new Uint8Array(128);
  const target4 = options.target4 ?? 0x0a000050;
  const gapUs = 1_000_000 / (options.packetsPerSecond ?? 500_000);
  const startUs = 1_700_000_000_000_000;
  for (let i = 0; i < options.packets; i++) {
    const length = buildTcpFrame(frame, {
      src4: random() >>> 0,
      dst4: target4,
      srcPort: 1024 + (random() % 64512),
      dstPort: options.targetPort ?? 80,
      seq: random() >>> 0,
      ack: 0,
      flags: 0x02,
      window: 64240,
      payloadBytes: 0,
      ipId: i & 0xffff,
    });
    writer.writeRecord(startUs + Math.floor(i * gapUs), frame, length);
  }
  return writer.close();
}

export interface HttpFlowsOptions {
  flows: number;
  /** Request/response exchanges per flow after the handshake. */
  exchangesPerFlow: number;
  responseBytes?: number;
  seed?: number;
}

/**
 * Writes keep-alive HTTP-like TCP flows one after another: handshake, `exchangesPerFlow`
 * request/response/ACK triples, then FIN/ACK teardown. Returns the packet count.
 */
export function writeHttpFlowsPcap(path: string, options: HttpFlowsOptions): number {
  const random = xorshift32(options.seed ?? 0x4777);
  const trace: PacketTrace = { writer: new PcapWriter(path), frame: new Uint8Array(2048), random, timeUs: 1_700_000_000_000_000 };
  const responseBytes = Math.min(options.responseBytes ?? 1400, 1460);
  for (let flow = 0; flow < options.flows; flow++) {
    const client4 = (0x0a010000 | (flow & 0xffff)) >>> 0;
    writeHttpFlow(trace, client4, SERVER4, options.exchangesPerFlow, responseBytes);
  }
  return trace.writer.close();
}

export interface FloodMixOptions {
  /** SYN-flood connections: each is SYN, the server's SYN/ACK and the attacker kernel's RST. */
  attackFlows: number;
  /** Attacking hosts, as unsigned 32-bit IPv4 addresses. They send from random ports. */
  attackers4: number[];
  /** Attack connections started per second of capture time. */
  attackFlowsPerSecond: number;
  /** One HTTP-like flow from a benign client after every this many attack connections. */
  attackFlowsPerBenignFlow: number;
  /** Benign clients, as unsigned 32-bit IPv4 addresses, used in turn. */
  benignClients4: number[];
  exchangesPerBenignFlow?: number;
  seed?: number;
}

/**
 * Writes a SYN flood from a few real (unspoofed) hosts against 10.0.0.80:80, mixed with
 * keep-alive HTTP-like flows of benign clients to the same server. The attackers' kernels reset
 * each half-open connection when the SYN/ACK arrives, as with hping3, so every attack flow ends
 * with an RST. Returns the packet count.
 */
export function writeFloodMixPcap(path: string, options: FloodMixOptions): number {
  const random = xorshift32(options.seed ?? 0xf100d);
  const trace: PacketTrace = { writer: new PcapWriter(path), frame: new Uint8Array(2048), random, timeUs: 1_700_000_000_000_000 };
  const gapUs = 1_000_000 / options.attackFlowsPerSecond;
  const startUs = trace.timeUs;
  let benignFlows = 0;
  for (let flow = 0; flow < options.attackFlows; flow++) {
    trace.timeUs = Math.max(trace.timeUs, startUs + Math.floor(flow * gapUs));
    const attacker4 = options.attackers4[flow % options.attackers4.length];
    const attackerPort = 1024 + (random() % 64512);
    const attackerSeq = random() >>> 0;
    const serverSeq = random() >>> 0;
    const packet = (fromAttacker: boolean, flags: number, seq: number, ack: number): void => {
      const length = buildTcpFrame(trace.frame, {
        src4: fromAttacker ? attacker4 : SERVER4,
        dst4: fromAttacker ? SERVER4 : attacker4,
        srcPort: fromAttacker ? attackerPort : 80,
        dstPort: fromAttacker ? 80 : attackerPort,
        seq,
        ack,
        flags,
        window: fromAttacker ? 512 : 64240,
        payloadBytes: 0,
      });
      trace.writer.writeRecord(trace.timeUs, trace.frame, length);
      trace.timeUs += 20 + (random() % 80);
    };
    packet(true, 0x02, attackerSeq, 0);
    packet(false, 0x12, serverSeq, (attackerSeq + 1) >>> 0);
    packet(true, 0x04, (attackerSeq + 1) >>> 0, 0);

    if ((flow + 1) % options.attackFlowsPerBenignFlow === 0) {
      const client4 = options.benignClients4[benignFlows++ % options.benignClients4.length];
      writeHttpFlow(trace, client4, SERVER4, options.exchangesPerBenignFlow ?? 3, 1400);
    }
  }
  return trace.writer.close();
}

/** The file being written, its frame buffer, random source and the capture clock. */
interface PacketTrace {
  writer: PcapWriter;
  frame: Uint8Array;
  random: () => number;
  timeUs: number;
}

/** Writes one keep-alive HTTP-like flow from `client4` to port 80 of `server4` at the trace's clock. */
function writeHttpFlow(trace: PacketTrace, client4: number, server4: number, exchanges: number, responseBytes: number): void {
  const { writer, frame, random } = trace;
  const clientPort = 1024 + (random() % 64000);
  let clientSeq = random() >>> 0;
  let serverSeq = random() >>> 0;
  const send = (fromClient: boolean, flags: number, payloadBytes: number): void => {
    const length = buildTcpFrame(frame, {
      src4: fromClient ? client4 : server4,
      dst4: fromClient ? server4 : client4,
      srcPort: fromClient ? clientPort : 80,
      dstPort: fromClient ? 80 : clientPort,
      seq: fromClient ? clientSeq : serverSeq,
      ack: fromClient ? serverSeq : clientSeq,
      flags,
      window: 65535,
      payloadBytes,
    });
    const advance = payloadBytes + ((flags & 0x03) !== 0 ? 1 : 0);
    if (fromClient) clientSeq = (clientSeq + advance) >>> 0;
    else serverSeq = (serverSeq + advance) >>> 0;
    trace.timeUs += 50 + (random() % 200);
    writer.writeRecord(trace.timeUs, frame, length);
  };
  send(true, 0x02, 0);
  send(false, 0x12, 0);
  send(true, 0x10, 0);
  for (let exchange = 0; exchange < exchanges; exchange++) {
    send(true, 0x18, 300);
    send(false, 0x18, responseBytes);
    send(true, 0x10, 0);
  }
  send(true, 0x11, 0);
  send(false, 0x11, 0);
  send(true, 0x10, 0);
}

function ipv4Checksum(frame: Uint8Array, start: number): number {
  let sum = 0;
  for (let i = start; i < start + IPV4_HEADER_BYTES; i += 2) sum += (frame[i] << 8) | frame[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function writeU16(frame: Uint8Array, at: number, value: number): void {
  frame[at] = (value >>> 8) & 0xff;
  frame[at + 1] = value & 0xff;
}

function writeU32(frame: Uint8Array, at: number, value: number): void {
  frame[at] = (value >>> 24) & 0xff;
  frame[at + 1] = (value >>> 16) & 0xff;
  frame[at + 2] = (value >>> 8) & 0xff;
  frame[at + 3] = value & 0xff;
}

/** Deterministic 32-bit xorshift generator; returns unsigned integers. */
export function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
