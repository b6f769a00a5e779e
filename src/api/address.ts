import ipaddr from 'ipaddr.js';
import { invalidInput } from '../errors/api.ts';

/** A normalised block target: a host address or a prefix with its host bits zero. */
export interface ParsedTarget {
  /** `192.0.2.7`, `2001:db8::1`, `192.0.2.0/24`; an IPv4-mapped IPv6 address becomes IPv4. */
  target: string;
  family: 4 | 6;
  kind: 'host' | 'prefix';
  address: ipaddr.IPv4 | ipaddr.IPv6;
  prefixLength: number;
}

/**
 * Shortest prefixes accepted as block targets or filters. A shorter one would cover a large
 * part of the address space, which is almost always a typing mistake.
 */
export const MIN_PREFIX_LENGTH = { 4: 8, 6: 16 } as const;

export const ADDRESS_FORM = 'an IPv4 address in dotted-quad form (192.0.2.7) or an IPv6 address (2001:db8::1)';
export const TARGET_FORM = `${ADDRESS_FORM}, or a CIDR prefix with its host bits zero (192.0.2.0/24, 2001:db8::/48; at least /${MIN_PREFIX_LENGTH[4]} for IPv4 and /${MIN_PREFIX_LENGTH[6]} for IPv6)`;

function parseHost(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // ipaddr.js also accepts IPv4 shorthands such as `10.1` and hex parts; only dotted quads are allowed.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const address = ipaddr.IPv6.parse(text);
    if (address.zoneId !== undefined) return undefined;
    return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
  }
  return undefined;
}

/** Parses a host address (no prefix) and returns its canonical text form. */
export function parseAddress(field: string, value: string): string {
  const address = parseHost(value.trim());
  if (!address) throw invalidInput(field, value, ADDRESS_FORM);
  return address.toString();
}

/** Parses an address or CIDR prefix into a normalised block target; `/32` and `/128` become hosts. */
export function parseTarget(field: string, value: string): ParsedTarget {
  const text = value.trim();
  const slash = text.indexOf('/');
  if (slash < 0) {
    const address = parseHost(text);
    if (!address) throw invalidInput(field, value, TARGET_FORM);
    return hostTarget(address);
  }

  const address = parseHost(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) throw invalidInput(field, value, TARGET_FORM);
  const family = address.kind() === 'ipv4' ? 4 : 6;
  // An IPv4-mapped prefix (::ffff:192.0.2.0/120) keeps its meaning as the IPv4 prefix /24.
  const mappedOffset = family === 4 && text.slice(0, slash).includes(':') ? 96 : 0;
  const prefixLength = Number(lengthText) - mappedOffset;
  const maxLength = family === 4 ? 32 : 128;
  if (prefixLength < MIN_PREFIX_LENGTH[family] || prefixLength > maxLength) throw invalidInput(field, value, TARGET_FORM);
  if (prefixLength === maxLength) return hostTarget(address);

  const cidr = `${address.toString()}/${prefixLength}`;
  const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== address.toString()) {
    throw invalidInput(field, value, `a prefix with its host bits zero (${network.toString()}/${prefixLength})`);
  }
  return { target: cidr, family, kind: 'prefix', address, prefixLength };
}

function hostTarget(address: ipaddr.IPv4 | ipaddr.IPv6): ParsedTarget {
  const family = address.kind() === 'ipv4' ? 4 : 6;
  return { target: address.toString(), family, kind: 'host', address, prefixLength: family === 4 ? 32 : 128 };
}

/** True when the host address `address` lies inside `target` (a host or prefix). */
export function targetContains(target: ParsedTarget, address: string): boolean {
  const host = parseHost(address);
  if (!host || host.kind() !== target.address.kind()) return false;
  return host.match(target.address, target.prefixLength);
}

/** True when the two targets share at least one address. */
export function targetsOverlap(a: ParsedTarget, b: ParsedTarget): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.prefixLength <= b.prefixLength ? a : b;
  const longer = shorter === a ? b : a;
  return longer.address.match(shorter.address, shorter.prefixLength);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;

/** Formats milliseconds as the largest whole units, e.g. `1h30m`, `45s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

/** Parses a duration such as `90s`, `10m`, `1h30m` or `7d` and checks it against the bounds. */
export function parseDuration(field: string, value: string, bounds: { minMs: number; maxMs: number }): number {
  const text = value.trim();
  const allowed = `a duration of whole numbers with units ms, s, m, h or d (90s, 10m, 1h30m) from ${formatDuration(bounds.minMs)} to ${formatDuration(bounds.maxMs)}`;
  if (!DURATION_PATTERN.test(text)) throw invalidInput(field, value, allowed);
  let totalMs = 0;
  for (const match of text.matchAll(DURATION_PART)) totalMs += Number(match[1]) * DURATION_UNITS_MS[match[2]];
  if (!Number.isSafeInteger(totalMs) || totalMs < bounds.minMs || totalMs > bounds.maxMs) throw invalidInput(field, value, allowed);
  return totalMs;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a lower time bound: an RFC 3339 timestamp (`2026-12-04T20:00:00Z`) or a duration back
 * from now (`15m` means the last 15 minutes). Returns ms since the Unix epoch.
 */
export function parseSince(field: string, value: string, nowMs: number): number {
  const text = value.trim();
  const allowed = 'an RFC 3339 timestamp (2026-12-04T20:00:00Z) or a duration back from now (15m, 2h, 1d)';
  if (RFC3339.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  } else if (DURATION_PATTERN.test(text)) {
    return nowMs - parseDuration(field, text, { minMs: 0, maxMs: 365 * 86_400_000 });
  }
  throw invalidInput(field, value, allowed);
}
