import type { DecodedPacket } from './packet.ts';
import { linkTypeName } from './link-types.ts';
import { SKIP_REASON_COUNT, SKIP_REASONS, type DecodeResult, type SkipReason } from './skip-reasons.ts';

/** Packet counts a source reports: by link type, protocol and skip reason. */
export interface PacketCounts {
  /** Frames read from the file or the capture, decoded or not. */
  packetsRead: number;
  /** Frames handed to the packet handler (IP and non-IP). */
  packetsDecoded: number;
  /** Frames skipped as malformed; never handed to the handler. */
  packetsSkipped: number;
  ipv4Packets: number;
  ipv6Packets: number;
  /** Decoded frames without an IP header (ARP, STP, LLDP, MPLS pseudowires, …). */
  nonIpPackets: number;
  /** IP fragments, first and later. */
  fragmentPackets: number;
  /** Frames whose captured length is below their wire length (snap-length cuts). */
  snapCutPackets: number;
  /** Frames by link-type name (`ethernet`, `linux-sll2`, `raw`, …). */
  linkTypes: Record<string, number>;
  /** Decoded frames by protocol: `tcp`, `udp`, `icmp`, `icmpv6`, `ip-proto-N`, `non-ip`. */
  protocols: Record<string, number>;
  /** Skipped frames by reason; reasons never seen are absent. */
  skipReasons: Partial<Record<SkipReason, number>>;
  /** Sum of wire lengths of every frame read. */
  wireBytes: number;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/**
 * Counters updated once per packet without allocation: typed arrays indexed by protocol number
 * and skip code, and a small per-link-type table that callers keep one slot per interface of.
 */
export class CaptureCounters {
  packetsRead = 0;
  packetsDecoded = 0;
  ipv4Packets = 0;
  ipv6Packets = 0;
  nonIpPackets = 0;
  fragmentPackets = 0;
  snapCutPackets = 0;
  wireBytes = 0;
  readonly #protocols = new Float64Array(256);
  readonly #skips = new Float64Array(SKIP_REASON_COUNT + 1);
  readonly #linkTypes = new Map<number, number>();

  /** Counts one decoder result; `packet` contains the decoded fields (or the partial ones of a skip). */
  count(result: DecodeResult, packet: DecodedPacket): void {
    this.packetsRead++;
    this.wireBytes += packet.wireLength;
    if (packet.capturedLength < packet.wireLength) this.snapCutPackets++;
    if (result !== 0) {
      this.#skips[result]++;
      return;
    }
    this.packetsDecoded++;
    const version = packet.ipVersion;
    if (version === 0) {
      this.nonIpPackets++;
      return;
    }
    if (version === 4) this.ipv4Packets++;
    else this.ipv6Packets++;
    if (packet.isFragment) this.fragmentPackets++;
    this.#protocols[packet.protocol & 0xff]++;
  }

  /** Adds frames of one link type in bulk; sources call it per interface when they finish. */
  addLinkType(linkType: number, packets: number): void {
    if (packets === 0) return;
    this.#linkTypes.set(linkType, (this.#linkTypes.get(linkType) ?? 0) + packets);
  }

  skipped(reason: SkipReason): number {
    return this.#skips[SKIP_REASONS.indexOf(reason) + 1];
  }

  snapshot(): PacketCounts {
    const linkTypes: Record<string, number> = {};
    for (const [linkType, packets] of this.#linkTypes) {
      const name = linkTypeName(linkType);
      linkTypes[name] = (linkTypes[name] ?? 0) + packets;
    }
    const protocols: Record<string, number> = {};
    for (let protocol = 0; protocol < 256; protocol++) {
      const packets = this.#protocols[protocol];
      if (packets > 0) protocols[PROTOCOL_NAMES[protocol] ?? `ip-proto-${protocol}`] = packets;
    }
    if (this.nonIpPackets > 0) protocols['non-ip'] = this.nonIpPackets;
    const skipReasons: Partial<Record<SkipReason, number>> = {};
    let packetsSkipped = 0;
    for (let code = 1; code <= SKIP_REASON_COUNT; code++) {
      const packets = this.#skips[code];
      if (packets === 0) continue;
      skipReasons[SKIP_REASONS[code - 1]] = packets;
      packetsSkipped += packets;
    }
    return {
      packetsRead: this.packetsRead,
      packetsDecoded: this.packetsDecoded,
      packetsSkipped,
      ipv4Packets: this.ipv4Packets,
      ipv6Packets: this.ipv6Packets,
      nonIpPackets: this.nonIpPackets,
      fragmentPackets: this.fragmentPackets,
      snapCutPackets: this.snapCutPackets,
      linkTypes,
      protocols,
      skipReasons,
      wireBytes: this.wireBytes,
    };
  }
}

export function emptyPacketCounts(): PacketCounts {
  return new CaptureCounters().snapshot();
}
