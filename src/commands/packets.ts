import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  formatDestinationAddress,
  formatSourceAddress,
  linkTypeName,
  readCaptureFile,
  type CaptureFileStats,
  type DecodedPacket,
  type SkipReason,
} from '../capture/index.ts';
import { captureOptionError } from '../errors/capture.ts';

export const summary = 'Decode a pcap/pcapng file: one line per packet, or counts with --stats';

const USAGE = `Usage: flowguard packets FILE [--stats] [--json]

Decodes every record of a pcap or pcapng capture (format chosen by magic number).
One line per packet: time (UTC), link type, addresses and ports, protocol, TCP flags,
captured/wire/IP lengths. Skipped (malformed) packets print as "skipped <reason>".

  --stats   print counts by link type, protocol and skip reason instead of packets
  --json    one JSON object per packet (or one stats object with --stats)
  --help    show this text`;

const FLAG_LETTERS = 'FSRPAUEC';
const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };
// Lines are collected and written in blocks; the reader waits for stdout to drain between chunks.
const OUTPUT_BLOCK_CHARS = 64 * 1024;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { stats: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (err) {
    throw captureOptionError('argv', argv.join(' '), `${(err as Error).message}; run 'flowguard packets --help'`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`flowguard packets: expected exactly one capture file, got ${positionals.length}.\n${USAGE}\n`);
    return 2;
  }

  const abort = new AbortController();
  const output = new BlockWriter(abort.signal);
  // A closed pipe (`| head`) stops the read instead of crashing the process.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') abort.abort();
    else throw err;
  });

  const printPackets = !values.stats;
  const json = values.json;
  const stats = await readCaptureFile(
    positionals[0],
    (packet) => {
      if (printPackets) output.line(json ? JSON.stringify(packetRecord(packet)) : formatPacket(packet));
    },
    {
      signal: abort.signal,
      onSkip: (reason, packet) => {
        if (printPackets) output.line(json ? JSON.stringify({ ...timeRecord(packet), skipped: reason }) : formatSkip(reason, packet));
      },
      afterChunk: () => output.flush(),
    },
  );
  await output.flush();

  for (const warning of stats.warnings) process.stderr.write(`flowguard packets: warning: ${warning}\n`);
  if (values.stats) process.stdout.write(json ? JSON.stringify(stats) + '\n' : formatStats(stats));
  return 0;
}

/** Collects output lines and writes them in blocks; stops writing once the reader went away. */
class BlockWriter {
  #pending = '';
  readonly #closed: AbortSignal;

  constructor(closed: AbortSignal) {
    this.#closed = closed;
  }

  line(text: string): void {
    this.#pending += text + '\n';
    if (this.#pending.length >= OUTPUT_BLOCK_CHARS) this.#write();
  }

  async flush(): Promise<void> {
    if (!this.#write()) {
      // 'drain' never comes after EPIPE: the abort signal ends the wait instead.
      await once(process.stdout, 'drain', { signal: this.#closed }).catch(() => undefined);
    }
  }

  /** Writes what is pending; returns false when stdout asked the writer to wait for 'drain'. */
  #write(): boolean {
    const text = this.#pending;
    this.#pending = '';
    if (text.length === 0 || this.#closed.aborted || process.stdout.destroyed) return true;
    return process.stdout.write(text);
  }
}

// Date accepts ±8.64e15 ms; pcapng's 64-bit timestamps can go beyond, so those print as raw microseconds.
const MAX_DATE_SECONDS = 8.64e12;

function formatTime(packet: DecodedPacket): string {
  const seconds = Math.floor(packet.timestampUs / 1_000_000);
  if (!(Math.abs(seconds) <= MAX_DATE_SECONDS)) return `${packet.timestampUs}us`;
  const micros = String(packet.timestampUs % 1_000_000).padStart(6, '0');
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  const nanos = packet.timestampExtraNs > 0 ? String(packet.timestampExtraNs).padStart(3, '0') : '';
  return `${iso}.${micros}${nanos}Z`;
}

function formatPacket(packet: DecodedPacket): string {
  const head = `${formatTime(packet)} ${linkTypeName(packet.linkType)}${packet.vlanDepth > 0 ? ` vlan ${packet.vlanId}` : ''}`;
  const lengths = `caplen ${packet.capturedLength} len ${packet.wireLength}`;
  if (packet.ipVersion === 0) return `${head} non-ip ${lengths}`;

  const ports = packet.l4Decoded && (packet.protocol === 6 || packet.protocol === 17);
  const src = formatSourceAddress(packet) + (ports ? `.${packet.srcPort}` : '');
  const dst = formatDestinationAddress(packet) + (ports ? `.${packet.dstPort}` : '');
  let detail = PROTOCOL_NAMES[packet.protocol] ?? `proto ${packet.protocol}`;
  if (packet.protocol === 6 && packet.l4Decoded) detail += ` [${formatTcpFlags(packet.tcpFlags)}] seq ${packet.tcpSeq} win ${packet.tcpWindow}`;
  if ((packet.protocol === 1 || packet.protocol === 58) && packet.l4Decoded) detail += ` type ${packet.icmpType} code ${packet.icmpCode}`;
  if (packet.isFragment) detail += ` frag id ${packet.fragmentId} off ${packet.fragmentOffset}${packet.moreFragments ? '+' : ''}`;
  return `${head} IPv${packet.ipVersion} ${src} > ${dst} ${detail} ${lengths} ip ${packet.ipTotalLength} payload ${packet.payloadLength}`;
}

function formatTcpFlags(flags: number): string {
  let text = '';
  for (let bit = 0; bit < 8; bit++) if ((flags & (1 << bit)) !== 0) text += FLAG_LETTERS[bit];
  return text || 'none';
}

function formatSkip(reason: SkipReason, packet: DecodedPacket): string {
  return `${formatTime(packet)} ${linkTypeName(packet.linkType)} skipped ${reason} caplen ${packet.capturedLength} len ${packet.wireLength}`;
}

function timeRecord(packet: DecodedPacket): Record<string, unknown> {
  return {
    timestampUs: packet.timestampUs,
    timestampExtraNs: packet.timestampExtraNs,
    interfaceId: packet.interfaceId,
    linkType: linkTypeName(packet.linkType),
    capturedLength: packet.capturedLength,
    wireLength: packet.wireLength,
  };
}

function packetRecord(packet: DecodedPacket): Record<string, unknown> {
  const record = timeRecord(packet);
  record.vlanDepth = packet.vlanDepth;
  record.vlanId = packet.vlanId;
  record.ipVersion = packet.ipVersion;
  if (packet.ipVersion === 0) return record;
  Object.assign(record, {
    src: formatSourceAddress(packet),
    dst: formatDestinationAddress(packet),
    protocol: packet.protocol,
    ttl: packet.ttl,
    ipHeaderLength: packet.ipHeaderLength,
    ipTotalLength: packet.ipTotalLength,
    isFragment: packet.isFragment,
    fragmentOffset: packet.fragmentOffset,
    moreFragments: packet.moreFragments,
    fragmentId: packet.fragmentId,
    l4Decoded: packet.l4Decoded,
    srcPort: packet.srcPort,
    dstPort: packet.dstPort,
    tcpFlags: packet.tcpFlags,
    tcpWindow: packet.tcpWindow,
    tcpSeq: packet.tcpSeq,
    tcpAck: packet.tcpAck,
    icmpType: packet.icmpType,
    icmpCode: packet.icmpCode,
    l4HeaderLength: packet.l4HeaderLength,
    payloadLength: packet.payloadLength,
  });
  return record;
}

function formatStats(stats: CaptureFileStats): string {
  const lines = [
    `file        ${stats.path} (${stats.format}, ${stats.byteOrder}, ${stats.fileBytes} bytes)`,
    `packets     ${stats.packetsRead} read, ${stats.packetsDecoded} decoded, ${stats.packetsSkipped} skipped`,
    `ip          ${stats.ipv4Packets} IPv4, ${stats.ipv6Packets} IPv6, ${stats.nonIpPackets} non-IP, ${stats.fragmentPackets} fragments, ${stats.snapCutPackets} cut by snap length`,
  ];
  for (const iface of stats.interfaces) {
    lines.push(`interface   ${iface.interfaceId}: ${linkTypeName(iface.linkType)} (${iface.linkType}), snaplen ${iface.snapLengthBytes}, timestamps in ${iface.timestampResolution}, ${iface.packets} packets`);
  }
  lines.push(...countLines('link type', stats.linkTypes), ...countLines('protocol', stats.protocols), ...countLines('skipped', stats.skipReasons));
  if (stats.truncated) lines.push('truncated   yes (see the warning)');
  return lines.join('\n') + '\n';
}

function countLines(label: string, counts: Record<string, number | undefined>): string[] {
  return Object.entries(counts)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([key, value]) => `${label.padEnd(11)} ${key} ${value}`);
}
