import { createDecodedPacket, type DecodedPacket } from '../../src/capture/packet.ts';

/** One packet of a hand-built sequence; everything not given takes a plain TCP/IPv4 default. */
export interface PacketSpec {
  t: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  protocol?: number;
  flags?: number;
  /** Transport header bytes (TCP data offset × 4, UDP 8). */
  hdr?: number;
  /** Transport payload bytes. */
  pl?: number;
  win?: number;
  /** Frame length on the wire; defaults to an untagged Ethernet frame without padding. */
  wireLength?: number;
  linkHeaderLength?: number;
  vlanId?: number;
  icmpType?: number;
  icmpCode?: number;
  fragment?: { id: number; offsetBytes: number; more: boolean };
  ipHeaderLength?: number;
  /** LINKTYPE_* of the frame; 1 (Ethernet) unless given. */
  linkType?: number;
}

/** Base time of the sequences: 2017-07-05 11:46:12 UTC, in µs. */
export const BASE_US = 1_499_255_172_000_000;

export function ipv4ToInt(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0) as number;
}

function ipv6ToBytes(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':').filter(Boolean) : [];
  const tailGroups = tail ? tail.split(':').filter(Boolean) : [];
  const groups = [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/**
 * Feeds packets to `onPacket` through ONE reused DecodedPacket, as the capture readers do, so a
 * meter that keeps a reference instead of copying fails these tests. `t` is µs after BASE_US.
 */
export function feed(specs: PacketSpec[], onPacket: (packet: DecodedPacket) => void): void {
  const packet = createDecodedPacket();
  for (const spec of specs) {
    fill(packet, spec);
    onPacket(packet);
  }
}

export function fill(packet: DecodedPacket, spec: PacketSpec): void {
  const v6 = spec.src.includes(':');
  const protocol = spec.protocol ?? 6;
  let defaultHeader = 0;
  if (protocol === 6) defaultHeader = 20;
  else if (protocol === 17 || protocol === 1 || protocol === 58) defaultHeader = 8;
  const hdr = spec.hdr ?? defaultHeader;
  const pl = spec.pl ?? 0;
  const ipHeaderLength = spec.ipHeaderLength ?? (v6 ? 40 : 20);
  const linkHeaderLength = spec.linkHeaderLength ?? 14;
  const laterFragment = spec.fragment !== undefined && spec.fragment.offsetBytes > 0;
  packet.timestampUs = BASE_US + spec.t;
  packet.timestampExtraNs = 0;
  packet.linkType = spec.linkType ?? 1;
  packet.linkHeaderLength = linkHeaderLength;
  packet.vlanDepth = spec.vlanId === undefined ? 0 : 1;
  packet.vlanId = spec.vlanId ?? -1;
  packet.ipVersion = v6 ? 6 : 4;
  if (v6) {
    packet.src6.set(ipv6ToBytes(spec.src));
    packet.dst6.set(ipv6ToBytes(spec.dst));
    packet.src4 = 0;
    packet.dst4 = 0;
  } else {
    packet.src4 = ipv4ToInt(spec.src);
    packet.dst4 = ipv4ToInt(spec.dst);
    packet.src6.fill(0);
    packet.dst6.fill(0);
  }
  packet.ipHeaderLength = ipHeaderLength;
  packet.ipTotalLength = ipHeaderLength + (laterFragment ? 0 : hdr) + pl;
  packet.capturedLength = spec.wireLength ?? linkHeaderLength + packet.ipTotalLength;
  packet.wireLength = spec.wireLength ?? linkHeaderLength + packet.ipTotalLength;
  packet.ttl = 64;
  packet.isFragment = spec.fragment !== undefined;
  packet.fragmentOffset = spec.fragment?.offsetBytes ?? 0;
  packet.moreFragments = spec.fragment?.more ?? false;
  packet.fragmentId = spec.fragment?.id ?? 0;
  packet.protocol = protocol;
  packet.l4Decoded = !laterFragment;
  packet.srcPort = laterFragment ? 0 : spec.sport ?? 0;
  packet.dstPort = laterFragment ? 0 : spec.dport ?? 0;
  packet.tcpFlags = protocol === 6 && !laterFragment ? spec.flags ?? 0 : 0;
  packet.tcpWindow = protocol === 6 && !laterFragment ? spec.win ?? 0 : 0;
  packet.tcpSeq = 0;
  packet.tcpAck = 0;
  packet.icmpType = spec.icmpType ?? 0;
  packet.icmpCode = spec.icmpCode ?? 0;
  packet.l4HeaderLength = laterFragment ? 0 : hdr;
  packet.payloadLength = pl;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
