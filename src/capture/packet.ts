/**
 * The decoded packet handed from `src/capture` to `src/flows`.
 *
 * Sources reuse one instance for every packet (no allocation on the hot path), so a consumer
 * must copy whatever it keeps before it returns from the callback. Addresses of IPv6 packets
 * live in the reused `src6`/`dst6` byte arrays; IPv4 addresses are unsigned 32-bit integers.
 */
export type IpVersion = 0 | 4 | 6;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export interface DecodedPacket {
  /** Capture time, integer microseconds since the Unix epoch. */
  timestampUs: number;
  /** Sub-microsecond part (0–999 ns) of a nanosecond-resolution capture, 0 otherwise. */
  timestampExtraNs: number;
  /** Interface index inside the source (pcapng IDB number; 0 for pcap and live capture). */
  interfaceId: number;
  /** LINKTYPE_* value of the frame. */
  linkType: number;

  /** Bytes present in the capture record. */
  capturedLength: number;
  /** Bytes the frame had on the wire (the record's original length). */
  wireLength: number;
  /** Bytes of link-layer header before the network header (Ethernet + VLAN tags, SLL, …). */
  linkHeaderLength: number;
  /** Number of 802.1Q/802.1ad tags walked. */
  vlanDepth: number;
  /** VLAN id of the outermost tag, -1 when untagged. */
  vlanId: number;

  /** 4 or 6 when an IP header was decoded; 0 for anything else (ARP, STP, …). */
  ipVersion: IpVersion;
  src4: number;
  dst4: number;
  src6: Uint8Array;
  dst6: Uint8Array;
  /** IPv4 header length with options, or 40 plus every IPv6 extension header walked. */
  ipHeaderLength: number;
  /** Datagram size at the IP level: IPv4 total length, IPv6 40 + payload length (jumbo aware). */
  ipTotalLength: number;
  ttl: number;

  /** True for any fragment (first or later) of a fragmented datagram. */
  isFragment: boolean;
  /** Fragment offset in bytes; non-zero only for later fragments. */
  fragmentOffset: number;
  moreFragments: boolean;
  /** IPv4 identification or IPv6 fragment identification, 0 when not fragmented. */
  fragmentId: number;

  /** Upper-layer protocol number after the IPv6 extension chain (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …). */
  protocol: number;
  /**
   * True when the transport header was read. False for later fragments (which carry no ports),
   * for transport headers cut by the snap length, and for protocols other than TCP/UDP/ICMP/ICMPv6.
   */
  l4Decoded: boolean;
  srcPort: number;
  dstPort: number;
  /** TCP flag bits (FIN 0x01 … CWR 0x80), 0 for other protocols. */
  tcpFlags: number;
  tcpWindow: number;
  tcpSeq: number;
  tcpAck: number;
  icmpType: number;
  icmpCode: number;
  /** Transport header bytes: TCP data offset × 4, UDP 8, ICMP/ICMPv6 8, otherwise 0. */
  l4HeaderLength: number;
  /** Transport payload from IP-level lengths: ipTotalLength − ipHeaderLength − l4HeaderLength, ≥ 0. */
  payloadLength: number;
}

export function createDecodedPacket(): DecodedPacket {
  return {
    timestampUs: 0,
    timestampExtraNs: 0,
    interfaceId: 0,
    linkType: 0,
    capturedLength: 0,
    wireLength: 0,
    linkHeaderLength: 0,
    vlanDepth: 0,
    vlanId: -1,
    ipVersion: 0,
    src4: 0,
    dst4: 0,
    src6: new Uint8Array(16),
    dst6: new Uint8Array(16),
    ipHeaderLength: 0,
    ipTotalLength: 0,
    ttl: 0,
    isFragment: false,
    fragmentOffset: 0,
    moreFragments: false,
    fragmentId: 0,
    protocol: 0,
    l4Decoded: false,
    srcPort: 0,
    dstPort: 0,
    tcpFlags: 0,
    tcpWindow: 0,
    tcpSeq: 0,
    tcpAck: 0,
    icmpType: 0,
    icmpCode: 0,
    l4HeaderLength: 0,
    payloadLength: 0,
  };
}

/** Formats an IPv4 address held as an unsigned 32-bit integer. */
export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** Formats 16 IPv6 address bytes in the RFC 5952 canonical text form. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

export function formatSourceAddress(packet: DecodedPacket): string {
  return packet.ipVersion === 6 ? formatIPv6(packet.src6) : formatIPv4(packet.src4);
}

export function formatDestinationAddress(packet: DecodedPacket): string {
  return packet.ipVersion === 6 ? formatIPv6(packet.dst6) : formatIPv4(packet.dst4);
}

/** Receives packets from a source. The packet object is reused: copy what you keep. */
export type PacketHandler = (packet: DecodedPacket) => void;
