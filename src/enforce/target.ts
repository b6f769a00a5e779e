import ipaddr from 'ipaddr.js';
import { enforceError } from '../errors/enforce.ts';

/** A block target after parsing: the only form that reaches an nft batch. */
export interface Target {
  /** Canonical text: `192.0.2.7`, `2001:db8::1` or `192.0.2.0/24` (network address, no host bits). */
  key: string;
  family: 4 | 6;
  kind: 'host' | 'prefix';
  /** Network address bytes, 4 or 16 of them. */
  bytes: number[];
  prefixLength: number;
}

export interface TargetRules {
  /** Shortest prefix accepted for IPv4 (a /0 would block the whole address family). */
  minPrefixLength4: number;
  minPrefixLength6: number;
}

const DEFAULT_RULES: TargetRules = { minPrefixLength4: 8, minPrefixLength6: 16 };

/**
 * Parses and normalises an address or CIDR prefix for an nft batch.
 *
 * IPv4 is accepted only in dotted four-part decimal. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes
 * IPv4, because the kernel matches IPv4 packets against `ip saddr`. Host bits of a prefix are
 * cleared, and a /32 or /128 becomes a host. Anything else is rejected with INVALID_TARGET naming it.
 */
export function parseTarget(input: string, rules: TargetRules = DEFAULT_RULES): Target {
  if (typeof input !== 'string' || input.length === 0 || input.length > 64 || /\s/.test(input)) {
    throw invalid(input, 'expected an IPv4 or IPv6 address or CIDR prefix without spaces');
  }
  const slash = input.indexOf('/');
  const addressText = slash < 0 ? input : input.slice(0, slash);
  const lengthText = slash < 0 ? undefined : input.slice(slash + 1);
  let address = parseAddress(input, addressText);

  let prefixLength = address.kind() === 'ipv4' ? 32 : 128;
  if (lengthText !== undefined) {
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > prefixLength) {
      throw invalid(input, `the prefix length must be an integer from 0 to ${prefixLength}`);
    }
    prefixLength = Number(lengthText);
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (prefixLength < 96) throw invalid(input, 'an IPv4-mapped IPv6 prefix must be at least /96');
    address = (address as ipaddr.IPv6).toIPv4Address();
    prefixLength -= 96;
  }

  const family = address.kind() === 'ipv4' ? 4 : 6;
  const minimum = family === 4 ? rules.minPrefixLength4 : rules.minPrefixLength6;
  if (prefixLength < minimum) {
    throw invalid(input, `IPv${family} prefixes shorter than /${minimum} are not accepted; block narrower prefixes`);
  }

  const bytes = maskBytes(address.toByteArray(), prefixLength);
  const full = family === 4 ? 32 : 128;
  const text = formatBytes(bytes);
  return {
    key: prefixLength === full ? text : `${text}/${prefixLength}`,
    family,
    kind: prefixLength === full ? 'host' : 'prefix',
    bytes,
    prefixLength,
  };
}

/** True when the two targets share at least one address. */
export function targetsOverlap(a: Target, b: Target): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const left = maskBytes(a.bytes, shorter);
  const right = maskBytes(b.bytes, shorter);
  return left.every((byte, index) => byte === right[index]);
}

/** Returns the ipaddr.js range name of the target's network address (`loopback`, `unicast`…). */
export function targetRange(target: Target): string {
  return ipaddr.fromByteArray(target.bytes).range();
}

export function formatBytes(bytes: number[]): string {
  const address = ipaddr.fromByteArray(bytes);
  return address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String();
}

function parseAddress(input: string, text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  throw invalid(input, 'expected a dotted-decimal IPv4 or an IPv6 address without a zone id');
}

function maskBytes(bytes: number[], prefixLength: number): number[] {
  return bytes.map((byte, index) => {
    const bitsLeft = prefixLength - index * 8;
    if (bitsLeft >= 8) return byte;
    if (bitsLeft <= 0) return 0;
    return byte & (0xff << (8 - bitsLeft)) & 0xff;
  });
}

function invalid(input: unknown, rule: string) {
  return enforceError('INVALID_TARGET', `Invalid block target ${JSON.stringify(input)}: ${rule}.`, { target: input });
}
