import ipaddr from 'ipaddr.js';

/**
 * Address helpers shared by the per-source policy and the window builder: parsing with
 * IPv4-mapped IPv6 folded to IPv4, grouping by prefix, and the ranges that are never blocked.
 */
export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an address; `::ffff:a.b.c.d` comes back as the IPv4 address. Undefined when invalid. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  return ipaddr.process(text);
}

export function addressFamily(address: ParsedAddress): 4 | 6 {
  return address.kind() === 'ipv4' ? 4 : 6;
}

/** Canonical text of an address: dotted quad, or RFC 5952 for IPv6. */
export function formatAddress(address: ParsedAddress): string {
  return address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String();
}

/**
 * Network address of `address` under `prefixLength`, as `addr/len` text. The full length
 * (32 or 128) returns the plain address, so a host needs no CIDR suffix.
 */
export function prefixOf(address: ParsedAddress, prefixLength: number): string {
  const bytes = address.toByteArray();
  const bits = bytes.length * 8;
  if (prefixLength >= bits) return formatAddress(address);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, prefixLength - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return `${formatAddress(ipaddr.fromByteArray(bytes))}/${prefixLength}`;
}

/**
 * Group of a source address: the IPv4 address itself, or the IPv6 network under
 * `ipv6PrefixLength`. One IPv6 host usually owns a whole /64, so grouping there keeps an
 * attacker from escaping a per-address window by rotating its interface identifier.
 * Returns undefined for text that is not an address.
 */
export function sourceGroupOf(text: string, ipv6PrefixLength: number): string | undefined {
  // Fast path for the dotted quads flow records carry: this runs once per flow.
  if (!text.includes(':')) return ipaddr.IPv4.isValidFourPartDecimal(text) ? text : undefined;
  const cacheKey = `${ipv6PrefixLength} ${text}`;
  const cached = ipv6GroupCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const address = parseAddress(text);
  if (address === undefined) return undefined;
  const group = address.kind() === 'ipv4' ? address.toString() : prefixOf(address, ipv6PrefixLength);
  // Bound: cleared when full, which costs a few parses and nothing else.
  if (ipv6GroupCache.size >= IPV6_GROUP_CACHE_SIZE) ipv6GroupCache.clear();
  ipv6GroupCache.set(cacheKey, group);
  return group;
}

const IPV6_GROUP_CACHE_SIZE = 4096;
const ipv6GroupCache = new Map<string, string>();

/** Reason an address is never blocked, whatever the model's verdicts. */
export type ProtectedReason = 'allowlist' | 'own-address' | 'loopback' | 'link-local' | 'multicast' | 'unspecified' | 'broadcast';

const PROTECTED_RANGES: Readonly<Record<string, ProtectedReason>> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
};

/** The special range an address belongs to, when that range is never blocked. */
export function specialRangeOf(address: ParsedAddress): ProtectedReason | undefined {
  return PROTECTED_RANGES[address.range()];
}

/** A list of CIDRs (or plain addresses) matched against parsed addresses of either family. */
export class CidrList {
  readonly #ranges: Array<[ParsedAddress, number]> = [];

  /** Throws a TypeError naming the first entry that is neither an address nor a CIDR. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (ipaddr.isValidCIDR(entry)) {
        const [network, length] = ipaddr.parseCIDR(entry);
        if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && length >= 96) {
          this.#ranges.push([(network as ipaddr.IPv6).toIPv4Address(), length - 96]);
        } else {
          this.#ranges.push([network, length]);
        }
      } else if (ipaddr.isValid(entry)) {
        const address = ipaddr.process(entry);
        this.#ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else {
        throw new TypeError(`'${entry}' is neither an IP address nor a CIDR`);
      }
    }
  }

  get size(): number {
    return this.#ranges.length;
  }

  contains(address: ParsedAddress): boolean {
    for (const range of this.#ranges) {
      if (range[0].kind() === address.kind() && address.match(range)) return true;
    }
    return false;
  }

  /** True when any address of the network `network/length` is in the list. */
  overlaps(network: ParsedAddress, length: number): boolean {
    for (const [rangeNetwork, rangeLength] of this.#ranges) {
      if (rangeNetwork.kind() !== network.kind()) continue;
      if (network.match(rangeNetwork, rangeLength) || rangeNetwork.match(network, length)) return true;
    }
    return false;
  }
}
