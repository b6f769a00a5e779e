/**
 * Why the decoder skipped a packet. Skipped packets are counted under their reason and never
 * reach the packet handler. Codes index the counters, so 0 means "decoded" and the order here
 * fixes the numbering.
 */
export const SKIP_REASONS = [
  'link-header-truncated',
  'unsupported-link-type',
  'ip-version-invalid',
  'ipv4-header-truncated',
  'ipv4-header-length-invalid',
  'ipv4-total-length-invalid',
  'ip-length-exceeds-frame',
  'ipv6-header-truncated',
  'ipv6-extension-truncated',
  'tcp-data-offset-invalid',
  'tcp-header-past-end',
  'udp-header-past-end',
  'icmp-header-past-end',
] as const;

export type SkipReason = (typeof SKIP_REASONS)[number];

/** Decoder result: 0 when the packet was decoded, otherwise 1 + the index of its skip reason. */
export type DecodeResult = number;

export const DECODED = 0;
export const SKIP_LINK_HEADER_TRUNCATED = 1;
export const SKIP_UNSUPPORTED_LINK_TYPE = 2;
export const SKIP_IP_VERSION_INVALID = 3;
export const SKIP_IPV4_HEADER_TRUNCATED = 4;
export const SKIP_IPV4_HEADER_LENGTH_INVALID = 5;
export const SKIP_IPV4_TOTAL_LENGTH_INVALID = 6;
export const SKIP_IP_LENGTH_EXCEEDS_FRAME = 7;
export const SKIP_IPV6_HEADER_TRUNCATED = 8;
export const SKIP_IPV6_EXTENSION_TRUNCATED = 9;
export const SKIP_TCP_DATA_OFFSET_INVALID = 10;
export const SKIP_TCP_HEADER_PAST_END = 11;
export const SKIP_UDP_HEADER_PAST_END = 12;
export const SKIP_ICMP_HEADER_PAST_END = 13;

export const SKIP_REASON_COUNT = SKIP_REASONS.length;

/** Name of a non-zero decoder result. */
export function skipReasonName(result: DecodeResult): SkipReason {
  return SKIP_REASONS[result - 1];
}
