/**
 * Byte-level builders for hand-made frames in decoder tests. Each returns plain byte arrays so
 * a test can splice, truncate or corrupt any field.
 */

export function u16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

export function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export function ipv4Address(text: string): number[] {
  return text.split('.').map(Number);
}

/** Expands an IPv6 address with at most one `::` into 16 bytes. */
export function ipv6Address(text: string): number[] {
  const [head, tail = ''] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = text.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.flatMap((group) => u16(parseInt(group, 16)));
}

export function ethernet(etherType: number, payload: number[]): number[] {
  return [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, ...u16(etherType), ...payload];
}

export function vlanTag(tpid: number, vlanId: number, innerType: number): number[] {
  return [...u16(tpid), ...u16(0x2000 | vlanId), ...u16(innerType)];
}

export interface Ipv4Options {
  protocol: number;
  src?: string;
  dst?: string;
  ttl?: number;
  id?: number;
  /** Fragment offset in bytes (multiple of 8). */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Option bytes (padded by the caller to a multiple of 4). */
  options?: number[];
  /** Overrides the computed total length. */
  totalLength?: number;
  /** Overrides the computed header length in 4-byte words. */
  ihl?: number;
  version?: number;
}

export function ipv4(options: Ipv4Options, payload: number[]): number[] {
  const optionBytes = options.options ?? [];
  const ihl = options.ihl ?? 5 + optionBytes.length / 4;
  const total = options.totalLength ?? 20 + optionBytes.length + payload.length;
  const fragment = ((options.moreFragments ? 0x2000 : 0) | ((options.fragmentOffset ?? 0) >> 3)) & 0xffff;
  return [
    ((options.version ?? 4) << 4) | ihl,
    0,
    ...u16(total),
    ...u16(options.id ?? 0x1234),
    ...u16(fragment),
    options.ttl ?? 64,
    options.protocol,
    0,
    0,
    ...ipv4Address(options.src ?? '192.0.2.1'),
    ...ipv4Address(options.dst ?? '198.51.100.2'),
    ...optionBytes,
    ...payload,
  ];
}

export interface Ipv6Options {
  nextHeader: number;
  src?: string;
  dst?: string;
  hopLimit?: number;
  /** Overrides the computed payload length. */
  payloadLength?: number;
}

export function ipv6(options: Ipv6Options, payload: number[]): number[] {
  return [
    0x60,
    0,
    0,
    0,
    ...u16(options.payloadLength ?? payload.length),
    options.nextHeader,
    options.hopLimit ?? 64,
    ...ipv6Address(options.src ?? '2001:db8::1'),
    ...ipv6Address(options.dst ?? '2001:db8::2'),
    ...payload,
  ];
}

/** Builds an 8-byte-unit extension header (Hop-by-Hop, Routing, Destination Options) padded with PadN. */
export function extensionHeader(nextHeader: number, units = 0): number[] {
  const length = (units + 1) * 8;
  return [nextHeader, units, 1, length - 4, ...Array<number>(length - 4).fill(0)];
}

export function fragmentHeader(nextHeader: number, offsetBytes: number, moreFragments: boolean, id: number): number[] {
  return [nextHeader, 0, ...u16((offsetBytes & 0xfff8) | (moreFragments ? 1 : 0)), ...u32(id)];
}

export interface TcpOptions {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  /** Data offset in 4-byte words; 5 plus option words by default. */
  dataOffset?: number;
  options?: number[];
}

export function tcp(options: TcpOptions, payload: number[] = []): number[] {
  const optionBytes = options.options ?? [];
  const offset = options.dataOffset ?? 5 + optionBytes.length / 4;
  return [
    ...u16(options.srcPort),
    ...u16(options.dstPort),
    ...u32(options.seq ?? 1000),
    ...u32(options.ack ?? 0),
    offset << 4,
    options.flags,
    ...u16(options.window ?? 8192),
    0,
    0,
    0,
    0,
    ...optionBytes,
    ...payload,
  ];
}

export function udp(srcPort: number, dstPort: number, payload: number[] = []): number[] {
  return [...u16(srcPort), ...u16(dstPort), ...u16(8 + payload.length), 0, 0, ...payload];
}

export function icmp(type: number, code: number, payload: number[] = []): number[] {
  return [type, code, 0, 0, 0, 1, 0, 1, ...payload];
}

export function bytes(count: number, value = 0xab): number[] {
  return Array<number>(count).fill(value);
}
