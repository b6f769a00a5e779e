import ipaddr from 'ipaddr.js';
import { labError } from '../src/errors/lab.ts';

/**
 * The lab's address plan. Every address lives only inside namespaces the lab creates; no lab
 * namespace has a route toward the host or any other network, so traffic aimed at these ranges
 * cannot leave the lab.
 */
export const LAB_IPV4_RANGE = '10.231.0.0/16';
export const LAB_IPV6_RANGE = 'fd00:231::/48';

/** Outside segment (clients, attackers, gateway outside side) and inside segment (target). */
export const OUTSIDE_IPV4_PREFIX = '10.231.1';
export const INSIDE_IPV4_PREFIX = '10.231.2';
export const OUTSIDE_IPV6_PREFIX = 'fd00:231:0:1';
export const INSIDE_IPV6_PREFIX = 'fd00:231:0:2';

const RANGES = [LAB_IPV4_RANGE, LAB_IPV6_RANGE].map((cidr) => ipaddr.parseCIDR(cidr));

/** True when `address` is an IPv4 or IPv6 address inside the lab ranges. */
export function isLabAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return RANGES.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
}

/**
 * Throws unless `address` lies inside the lab ranges. Every attack tool and benign client calls
 * this on its target before it sends a packet.
 */
export function assertLabAddress(address: string, purpose: string): void {
  if (!isLabAddress(address)) {
    throw labError(
      'FG_ERR_LAB_ADDRESS_OUTSIDE',
      `${purpose}: target address '${address}' is outside the lab ranges ${LAB_IPV4_RANGE} and ${LAB_IPV6_RANGE}; ` +
        'the lab sends traffic only to addresses of its own namespaces, so pick a lab host address.',
      { address, purpose },
    );
  }
}

/** Host part of the address of a URL (brackets of an IPv6 literal removed). */
export function urlHost(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}
