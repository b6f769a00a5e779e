import { describe, expect, it } from 'vitest';
import {
  createDecodedPacket,
  decodeFrame,
  formatDestinationAddress,
  formatSourceAddress,
  skipReasonName,
  type DecodedPacket,
  type SkipReason,
} from '../../src/capture/index.ts';
import {
  bytes,
  ethernet,
  extensionHeader,
  fragmentHeader,
  icmp,
  ipv4,
  ipv6,
  tcp,
  u16,
  u32,
  udp,
  vlanTag,
} from './frame-builder.ts';

interface DecodeCase {
  name: string;
  linkType: number;
  frame: number[];
  /** Captured bytes of `frame`; all of them by default. */
  capturedLength?: number;
  /** Wire length; the full frame length by default. */
  wireLength?: number;
  expected?: Partial<Omit<DecodedPacket, 'src6' | 'dst6'>> & { src?: string; dst?: string };
  skip?: SkipReason;
}

const ETH = 1;
const TCP_SYN_80 = tcp({ srcPort: 40000, dstPort: 80, flags: 0x02, seq: 0xfedcba98, window: 64240 });

const validCases: DecodeCase[] = [
  {
    name: 'Ethernet IPv4 TCP with all eight flags and options',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 6, ttl: 51 }, tcp({ srcPort: 1234, dstPort: 443, flags: 0xff, seq: 0x80000001, ack: 0xffffffff, window: 65535, options: bytes(12, 1) }, bytes(100)))),
    expected: {
      ipVersion: 4, src: '192.0.2.1', dst: '198.51.100.2', ttl: 51, protocol: 6, l4Decoded: true, srcPort: 1234, dstPort: 443,
      tcpFlags: 0xff, tcpSeq: 0x80000001, tcpAck: 0xffffffff, tcpWindow: 65535, l4HeaderLength: 32, ipHeaderLength: 20,
      ipTotalLength: 152, payloadLength: 100, linkHeaderLength: 14, vlanDepth: 0, vlanId: -1, isFragment: false,
    },
  },
  {
    name: 'IPv4 with header options and UDP',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 17, options: [0x94, 4, 0, 0, 1, 1, 1, 0] }, udp(53, 5353, bytes(20)))),
    expected: { ipHeaderLength: 28, ipTotalLength: 56, protocol: 17, srcPort: 53, dstPort: 5353, l4HeaderLength: 8, payloadLength: 20 },
  },
  {
    name: 'IPv4 ICMP echo request',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 1 }, icmp(8, 0, bytes(56)))),
    expected: { protocol: 1, icmpType: 8, icmpCode: 0, l4Decoded: true, l4HeaderLength: 8, payloadLength: 56, srcPort: 0 },
  },
  {
    name: 'IPv4 first fragment keeps ports',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 17, id: 242, moreFragments: true }, udp(123, 137, bytes(24)))),
    expected: { isFragment: true, moreFragments: true, fragmentOffset: 0, fragmentId: 242, l4Decoded: true, srcPort: 123, dstPort: 137 },
  },
  {
    name: 'IPv4 later fragment carries no ports',
    linkType: ETH,
    // The payload starts with bytes that would read as ports 0x0102/0x0304 if misparsed.
    frame: ethernet(0x0800, ipv4({ protocol: 17, id: 242, fragmentOffset: 48 }, [1, 2, 3, 4, ...bytes(20)])),
    expected: { isFragment: true, moreFragments: false, fragmentOffset: 48, fragmentId: 242, l4Decoded: false, srcPort: 0, dstPort: 0, payloadLength: 24 },
  },
  {
    name: 'IPv4 first fragment too short for TCP stays undecoded',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 6, moreFragments: true }, TCP_SYN_80.slice(0, 8))),
    expected: { isFragment: true, l4Decoded: false, payloadLength: 8 },
  },
  {
    name: 'IPv6 UDP',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 17, hopLimit: 7 }, udp(5000, 53, bytes(30)))),
    expected: { ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::2', ttl: 7, protocol: 17, ipHeaderLength: 40, ipTotalLength: 78, payloadLength: 30, dstPort: 53 },
  },
  {
    name: 'IPv6 extension chain before TCP',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 0 }, [...extensionHeader(43), ...extensionHeader(60, 1), ...extensionHeader(6), ...TCP_SYN_80])),
    expected: { ipVersion: 6, protocol: 6, ipHeaderLength: 72, l4Decoded: true, tcpFlags: 0x02, tcpSeq: 0xfedcba98, dstPort: 80 },
  },
  {
    name: 'IPv6 Authentication Header before UDP',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 51 }, [17, 4, 0, 0, ...bytes(20, 0), ...udp(1, 2)])),
    expected: { protocol: 17, ipHeaderLength: 64, srcPort: 1, dstPort: 2 },
  },
  {
    name: 'IPv6 first fragment keeps ports',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 44 }, [...fragmentHeader(17, 0, true, 0xdeadbeef), ...udp(53, 40000, bytes(100))])),
    expected: { isFragment: true, moreFragments: true, fragmentId: 0xdeadbeef, fragmentOffset: 0, protocol: 17, l4Decoded: true, srcPort: 53, ipHeaderLength: 48 },
  },
  {
    name: 'IPv6 later fragment carries no ports',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 44 }, [...fragmentHeader(17, 1448, false, 7), ...bytes(64)])),
    expected: { isFragment: true, moreFragments: false, fragmentOffset: 1448, fragmentId: 7, protocol: 17, l4Decoded: false, srcPort: 0, payloadLength: 64 },
  },
  {
    name: 'ICMPv6 echo request',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 58 }, icmp(128, 0, bytes(8)))),
    expected: { protocol: 58, icmpType: 128, icmpCode: 0, l4Decoded: true },
  },
  {
    name: '802.1Q tag',
    linkType: ETH,
    frame: ethernet(0x8100, [...vlanTag(0x8100, 100, 0x0800).slice(2), ...ipv4({ protocol: 17 }, udp(1, 2))]),
    expected: { vlanDepth: 1, vlanId: 100, linkHeaderLength: 18, protocol: 17 },
  },
  {
    name: '802.1ad outer and 802.1Q inner tags',
    linkType: ETH,
    frame: ethernet(0x88a8, [...u16(0x2000 | 200), ...vlanTag(0x8100, 2001, 0x86dd), ...ipv6({ nextHeader: 17 }, udp(1, 2))]),
    expected: { vlanDepth: 2, vlanId: 200, linkHeaderLength: 22, ipVersion: 6 },
  },
  {
    name: 'three stacked tags including legacy 0x9100',
    linkType: ETH,
    frame: ethernet(0x9100, [...u16(10), ...u16(0x88a8), ...u16(20), ...u16(0x8100), ...u16(30), ...u16(0x0800), ...ipv4({ protocol: 6 }, TCP_SYN_80)]),
    expected: { vlanDepth: 3, vlanId: 10, linkHeaderLength: 26, tcpFlags: 0x02 },
  },
  {
    name: 'ARP frame is non-IP',
    linkType: ETH,
    frame: ethernet(0x0806, bytes(28)),
    expected: { ipVersion: 0, linkHeaderLength: 14, protocol: 0 },
  },
  {
    name: '802.3 LLC/SNAP carrying IPv4',
    linkType: ETH,
    frame: ethernet(60, [0xaa, 0xaa, 0x03, 0, 0, 0, ...u16(0x0800), ...ipv4({ protocol: 6 }, TCP_SYN_80)]),
    expected: { ipVersion: 4, linkHeaderLength: 22, dstPort: 80 },
  },
  {
    name: '802.3 spanning tree frame is non-IP',
    linkType: ETH,
    frame: ethernet(38, [0x42, 0x42, 0x03, ...bytes(35)]),
    expected: { ipVersion: 0 },
  },
  {
    name: 'MPLS label stack over IPv4',
    linkType: ETH,
    frame: ethernet(0x8847, [0, 0x12, 0x00, 0xff, 0, 0x10, 0x01, 0xff, ...ipv4({ protocol: 1 }, icmp(0, 0))]),
    expected: { ipVersion: 4, linkHeaderLength: 22, protocol: 1 },
  },
  {
    name: 'PPPoE session over IPv6',
    linkType: ETH,
    frame: ethernet(0x8864, [0x11, 0, 0, 1, 0, 50, ...u16(0x0057), ...ipv6({ nextHeader: 17 }, udp(9, 10))]),
    expected: { ipVersion: 6, linkHeaderLength: 22, dstPort: 10 },
  },
  {
    name: 'Linux cooked v1',
    linkType: 113,
    frame: [0, 0, 0, 1, 0, 6, ...bytes(6), 0, 0, ...u16(0x0800), ...ipv4({ protocol: 6 }, TCP_SYN_80)],
    expected: { linkHeaderLength: 16, ipVersion: 4, dstPort: 80 },
  },
  {
    name: 'Linux cooked v2',
    linkType: 276,
    frame: [...u16(0x86dd), 0, 0, ...u32(1), 0, 1, 4, 6, ...bytes(8), ...ipv6({ nextHeader: 58 }, icmp(129, 0))],
    expected: { linkHeaderLength: 20, ipVersion: 6, icmpType: 129 },
  },
  { name: 'raw IP (101) IPv4', linkType: 101, frame: ipv4({ protocol: 17 }, udp(7, 8)), expected: { ipVersion: 4, linkHeaderLength: 0, dstPort: 8 } },
  { name: 'raw IP (DLT 12) IPv6', linkType: 12, frame: ipv6({ nextHeader: 17 }, udp(7, 8)), expected: { ipVersion: 6, dstPort: 8 } },
  { name: 'raw IP (DLT 14) IPv4', linkType: 14, frame: ipv4({ protocol: 6 }, TCP_SYN_80), expected: { ipVersion: 4, dstPort: 80 } },
  { name: 'LINKTYPE_IPV4', linkType: 228, frame: ipv4({ protocol: 17 }, udp(7, 8)), expected: { ipVersion: 4, srcPort: 7 } },
  { name: 'LINKTYPE_IPV6', linkType: 229, frame: ipv6({ nextHeader: 17 }, udp(7, 8)), expected: { ipVersion: 6, srcPort: 7 } },
  {
    name: 'BSD null, little-endian AF_INET',
    linkType: 0,
    frame: [2, 0, 0, 0, ...ipv4({ protocol: 6 }, TCP_SYN_80)],
    expected: { linkHeaderLength: 4, ipVersion: 4 },
  },
  {
    name: 'BSD null, big-endian AF_INET6 (macOS 30)',
    linkType: 0,
    frame: [0, 0, 0, 30, ...ipv6({ nextHeader: 17 }, udp(1, 443))],
    expected: { linkHeaderLength: 4, ipVersion: 6, dstPort: 443 },
  },
  {
    name: 'OpenBSD loop AF_INET',
    linkType: 108,
    frame: [0, 0, 0, 2, ...ipv4({ protocol: 17 }, udp(1, 2))],
    expected: { ipVersion: 4, dstPort: 2 },
  },
  {
    name: 'NFLOG with a prefix attribute before the payload',
    linkType: 239,
    frame: (() => {
      const packet = ipv4({ protocol: 17 }, udp(53, 1024, bytes(10)));
      return [2, 0, 0, 0, 8, 0, 10, 0, 0x61, 0x62, 0x63, 0, ...u16le(4 + packet.length), 9, 0, ...packet];
    })(),
    expected: { ipVersion: 4, linkHeaderLength: 16, srcPort: 53 },
  },
  {
    name: 'snap length cut inside the payload keeps IP-level sizes',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 6 }, tcp({ srcPort: 80, dstPort: 5000, flags: 0x18 }, bytes(1460)))),
    capturedLength: 68,
    expected: { capturedLength: 68, wireLength: 1514, ipTotalLength: 1500, l4Decoded: true, payloadLength: 1460, tcpFlags: 0x18 },
  },
  {
    name: 'snap length cut inside the TCP header leaves it undecoded',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 6 }, tcp({ srcPort: 80, dstPort: 5000, flags: 0x10 }, bytes(100)))),
    capturedLength: 40,
    expected: { ipVersion: 4, ipTotalLength: 140, l4Decoded: false, srcPort: 0, payloadLength: 120 },
  },
  {
    name: 'Ethernet padding after a short IP datagram',
    linkType: ETH,
    frame: [...ethernet(0x0800, ipv4({ protocol: 6 }, TCP_SYN_80)), ...bytes(6, 0)],
    expected: { ipTotalLength: 40, payloadLength: 0 },
  },
  {
    name: 'other IP protocol (GRE) counts as the outer protocol',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 47 }, [0, 0, ...u16(0x0800), ...ipv4({ protocol: 6 }, TCP_SYN_80)])),
    expected: { protocol: 47, l4Decoded: false, srcPort: 0, payloadLength: 44 },
  },
];

const malformedCases: DecodeCase[] = [
  { name: 'Ethernet header cut short', linkType: ETH, frame: bytes(13), skip: 'link-header-truncated' },
  { name: 'VLAN tag cut short', linkType: ETH, frame: ethernet(0x8100, [0, 1]), skip: 'link-header-truncated' },
  { name: 'SLL header cut short', linkType: 113, frame: bytes(15), skip: 'link-header-truncated' },
  { name: 'unsupported link type', linkType: 147, frame: bytes(60), skip: 'unsupported-link-type' },
  { name: 'raw IP with version 5', linkType: 101, frame: [0x55, ...bytes(39)], skip: 'ip-version-invalid' },
  { name: 'IPv4 EtherType with an IPv6 header', linkType: ETH, frame: ethernet(0x0800, ipv6({ nextHeader: 17 }, udp(1, 2))), skip: 'ip-version-invalid' },
  { name: 'bogus IHL below 5', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 6, ihl: 4 }, TCP_SYN_80)), skip: 'ipv4-header-length-invalid' },
  { name: 'IHL beyond the captured bytes', linkType: 228, frame: ipv4({ protocol: 6, ihl: 15 }, []), skip: 'ipv4-header-truncated' },
  { name: 'IPv4 header cut short', linkType: ETH, frame: ethernet(0x0800, bytes(19, 0x45)), skip: 'ipv4-header-truncated' },
  { name: 'IPv4 total length below the header', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 6, totalLength: 0 }, TCP_SYN_80)), skip: 'ipv4-total-length-invalid' },
  { name: 'IPv4 total length beyond the frame', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 6, totalLength: 1500 }, TCP_SYN_80)), skip: 'ip-length-exceeds-frame' },
  { name: 'IPv6 payload length beyond the frame', linkType: ETH, frame: ethernet(0x86dd, ipv6({ nextHeader: 17, payloadLength: 900 }, udp(1, 2))), skip: 'ip-length-exceeds-frame' },
  { name: 'IPv6 header cut short', linkType: ETH, frame: ethernet(0x86dd, ipv6({ nextHeader: 17 }, []).slice(0, 39)), skip: 'ipv6-header-truncated' },
  {
    name: 'truncated IPv6 extension header',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 0, payloadLength: 64 }, extensionHeader(17, 7).slice(0, 20))),
    wireLength: 14 + 40 + 64,
    skip: 'ipv6-extension-truncated',
  },
  {
    name: 'IPv6 extension header longer than the payload length',
    linkType: ETH,
    frame: ethernet(0x86dd, ipv6({ nextHeader: 60, payloadLength: 8 }, [...extensionHeader(17, 1), ...udp(1, 2)])),
    skip: 'ipv6-extension-truncated',
  },
  {
    name: 'TCP data offset past the end',
    linkType: ETH,
    frame: ethernet(0x0800, ipv4({ protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: 0x02, dataOffset: 15 }))),
    skip: 'tcp-header-past-end',
  },
  { name: 'TCP data offset below 5', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: 0x02, dataOffset: 4 }))), skip: 'tcp-data-offset-invalid' },
  { name: 'TCP header longer than the datagram', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 6 }, TCP_SYN_80.slice(0, 12))), skip: 'tcp-header-past-end' },
  { name: 'UDP header longer than the datagram', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 17 }, [0, 1, 0, 2])), skip: 'udp-header-past-end' },
  { name: 'ICMP header longer than the datagram', linkType: ETH, frame: ethernet(0x0800, ipv4({ protocol: 1 }, [8, 0])), skip: 'icmp-header-past-end' },
];

function u16le(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff];
}

function decodeCase(testCase: DecodeCase, packet = createDecodedPacket()): { code: number; packet: DecodedPacket } {
  const frame = Uint8Array.from(testCase.frame);
  const captured = testCase.capturedLength ?? frame.length;
  const code = decodeFrame(testCase.linkType, frame, 0, captured, testCase.wireLength ?? frame.length, 1_000_000, packet);
  return { code, packet };
}

describe('decodeFrame header paths', () => {
  it.each(validCases)('$name', (testCase) => {
    const { code, packet } = decodeCase(testCase);
    expect(code === 0 ? 'decoded' : skipReasonName(code)).toBe('decoded');
    const { src, dst, ...fields } = testCase.expected ?? {};
    expect(packet).toMatchObject(fields);
    if (src) expect(formatSourceAddress(packet)).toBe(src);
    if (dst) expect(formatDestinationAddress(packet)).toBe(dst);
    expect(packet.timestampUs).toBe(1_000_000);
    expect(packet.linkType).toBe(testCase.linkType);
  });
});

describe('decodeFrame malformed input', () => {
  it.each(malformedCases)('$name', (testCase) => {
    const { code } = decodeCase(testCase);
    expect(code === 0 ? 'decoded' : skipReasonName(code)).toBe(testCase.skip);
  });

  it('resets every field between packets', () => {
    const packet = createDecodedPacket();
    decodeCase(validCases[0], packet);
    decodeCase({ name: 'arp', linkType: ETH, frame: ethernet(0x0806, bytes(28)) }, packet);
    expect(packet).toMatchObject({ ipVersion: 0, protocol: 0, srcPort: 0, tcpFlags: 0, tcpSeq: 0, ipTotalLength: 0, payloadLength: 0, l4Decoded: false });
  });

  it('never reads past the captured length inside a larger buffer', () => {
    // The frame sits in the middle of a buffer whose following bytes would complete the TCP header.
    const frame = ethernet(0x0800, ipv4({ protocol: 6 }, TCP_SYN_80));
    const buffer = Uint8Array.from([...bytes(7), ...frame, ...bytes(50)]);
    const packet = createDecodedPacket();
    const code = decodeFrame(ETH, buffer, 7, frame.length - 10, frame.length, 0, packet);
    expect(code).toBe(0);
    expect(packet.l4Decoded).toBe(false);
  });
});
