import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Bench-only pcap writers for the flow meter benchmark: classic little-endian pcap, Ethernet,
 * IPv4/TCP. Frames carrying payload are stored cut after the TCP header (orig_len keeps the real
 * size), as a capture with a short snap length would, so a million packets stay near 70 MB.
 */
const ETHERNET = 14;
const IPV4 = 20;
const TCP_HEADER = 20;
const STORED = ETHERNET + IPV4 + TCP_HEADER;

class PcapFileWriter {
  readonly #fd: number;
  #buffer = Buffer.alloc(1 << 20);
  #used = 0;
  packets = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(1, 20);
    writeSync(this.#fd, header);
  }

  /** Appends one TCP/IPv4 frame; `payloadBytes` only sets the lengths, no payload is stored. */
  tcp(timestampUs: number, src: number, dst: number, sport: number, dport: number, flags: number, payloadBytes: number, window = 64240): void {
    if (this.#used + 16 + STORED > this.#buffer.length) this.#flush();
    const b = this.#buffer;
    let at = this.#used;
    b.writeUInt32LE(Math.floor(timestampUs / 1e6), at);
    b.writeUInt32LE(timestampUs % 1e6, at + 4);
    b.writeUInt32LE(STORED, at + 8);
    b.writeUInt32LE(Math.max(60, STORED + payloadBytes), at + 12);
    at += 16;
    b.fill(0, at, at + STORED);
    b[at + 0] = 0x02;
    b[at + 6] = 0x02;
    b[at + 11] = 0x01;
    b.writeUInt16BE(0x0800, at + 12);
    at += ETHERNET;
    b[at] = 0x45;
    b.writeUInt16BE(IPV4 + TCP_HEADER + payloadBytes, at + 2);
    b.writeUInt16BE(0x4000, at + 6);
    b[at + 8] = 64;
    b[at + 9] = 6;
    b.writeUInt32BE(src >>> 0, at + 12);
    b.writeUInt32BE(dst >>> 0, at + 16);
    at += IPV4;
    b.writeUInt16BE(sport, at);
    b.writeUInt16BE(dport, at + 2);
    b.writeUInt32BE((this.packets * 1_103_515_245) >>> 0, at + 4);
    b[at + 12] = 0x50;
    b[at + 13] = flags;
    b.writeUInt16BE(window, at + 14);
    this.#used = at + TCP_HEADER;
    this.packets++;
  }

  close(): void {
    this.#flush();
    closeSync(this.#fd);
  }

  #flush(): void {
    writeSync(this.#fd, this.#buffer, 0, this.#used);
    this.#used = 0;
  }
}

const BASE_US = 1_700_000_000_000_000;
const SERVER = 0x0a000001;

/** A spoofed SYN flood: every packet has a new random source address and port, so a new flow. */
export function writeSynFloodPcap(path: string, packets: number): void {
  const writer = new PcapFileWriter(path);
  let state = 0x12345678;
  for (let index = 0; index < packets; index++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    writer.tcp(BASE_US + index, state, SERVER, 1024 + (state >>> 20), 80, 0x02, 0, 1024);
  }
  writer.close();
}

/**
 * Long HTTP-like connections, `concurrent` at a time, interleaved packet by packet: handshake,
 * a 400-byte request, 1448-byte response segments with a client ACK after every second one,
 * then FINs both ways and a last ACK.
 */
export function writeHttpFlowsPcap(path: string, packets: number, concurrent = 1000): void {
  const writer = new PcapFileWriter(path);
  const perConnection = Math.max(16, Math.floor(packets / concurrent));
  const script: Array<[fromClient: boolean, flags: number, payloadBytes: number]> = [
    [true, 0x02, 0],
    [false, 0x12, 0],
    [true, 0x10, 0],
    [true, 0x18, 400],
  ];
  while (script.length < perConnection - 3) {
    script.push([false, 0x10, 1448]);
    if (script.length % 3 === 0 && script.length < perConnection - 3) script.push([true, 0x10, 0]);
  }
  script.push([false, 0x11, 0], [true, 0x11, 0], [false, 0x10, 0]);
  let timeUs = BASE_US;
  for (let written = 0, round = 0; written < packets; round++) {
    for (let step = 0; step < script.length && written < packets; step++) {
      for (let connection = 0; connection < concurrent && written < packets; connection++) {
        const client = (0xc0a80000 + round * concurrent + connection + 1) >>> 0;
        const port = 20_000 + ((round * concurrent + connection) % 40_000);
        const [fromClient, flags, payload] = script[step];
        if (fromClient) writer.tcp(timeUs, client, SERVER, port, 80, flags, payload);
        else writer.tcp(timeUs, SERVER, client, 80, port, flags, payload);
        timeUs += 1;
        written++;
      }
    }
  }
  writer.close();
}
