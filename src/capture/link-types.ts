/**
 * LINKTYPE_* values the decoder handles (tcpdump.org link-layer header types).
 *
 * Raw IP appears under three numbers: LINKTYPE_RAW (101) and the DLT_RAW values 12 and 14 that
 * some platforms wrote into pcap files before the LINKTYPE numbering existed.
 */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_DLT12 = 12;
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

const LINK_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'null'],
  [LINKTYPE_ETHERNET, 'ethernet'],
  [LINKTYPE_RAW_DLT12, 'raw'],
  [LINKTYPE_RAW_DLT14, 'raw'],
  [LINKTYPE_RAW, 'raw'],
  [LINKTYPE_LOOP, 'loop'],
  [LINKTYPE_LINUX_SLL, 'linux-sll'],
  [LINKTYPE_IPV4, 'ipv4'],
  [LINKTYPE_IPV6, 'ipv6'],
  [LINKTYPE_NFLOG, 'nflog'],
  [LINKTYPE_LINUX_SLL2, 'linux-sll2'],
]);

export function isSupportedLinkType(linkType: number): boolean {
  return LINK_TYPE_NAMES.has(linkType);
}

/** Short name of a link type for stats and output, `linktype-N` for unknown values. */
export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES.get(linkType) ?? `linktype-${linkType}`;
}

/**
 * Maps the link-type string that `cap` 0.2.1 returns from `open()` to a LINKTYPE value; it
 * names only five types and returns "Unknown linktype N" for the rest.
 */
export function linkTypeFromCapName(name: string): number | undefined {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE_ETHERNET;
    case 'NULL':
      return LINKTYPE_NULL;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE_LINUX_SLL;
    case 'RAW':
      return LINKTYPE_RAW;
    default: {
      const match = /^Unknown linktype (\d+)$/.exec(name);
      return match ? Number(match[1]) : undefined;
    }
  }
}
