import type { DecodedPacket } from './packet.ts';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_DLT12,
  LINKTYPE_RAW_DLT14,
} from './link-types.ts';
import {
  DECODED,
  SKIP_ICMP_HEADER_PAST_END,
  SKIP_IP_LENGTH_EXCEEDS_FRAME,
  SKIP_IP_VERSION_INVALID,
  SKIP_IPV4_HEADER_LENGTH_INVALID,
  SKIP_IPV4_HEADER_TRUNCATED,
  SKIP_IPV4_TOTAL_LENGTH_INVALID,
  SKIP_IPV6_EXTENSION_TRUNCATED,
  SKIP_IPV6_HEADER_TRUNCATED,
  SKIP_LINK_HEADER_TRUNCATED,
  SKIP_TCP_DATA_OFFSET_INVALID,
  SKIP_TCP_HEADER_PAST_END,
  SKIP_UDP_HEADER_PAST_END,
  SKIP_UNSUPPORTED_LINK_TYPE,
  type DecodeResult,
} from './skip-reasons.ts';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
// Pre-standard QinQ outer tag some switches still send.
const ETHERTYPE_QINQ_LEGACY = 0x9100;
const ETHERTYPE_MPLS_UNICAST = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
// EtherType values below this are 802.3 length fields followed by an LLC header.
const ETHERTYPE_MIN = 0x0600;

const NFULA_PAYLOAD = 9;
const BIG_TCP_MIN_BYTES = 65536;

/**
 * Decodes one captured frame into `out`, which is reset first, and returns DECODED (0) or the
 * code of the skip reason. Never throws on any input: every read is bounds-checked against the
 * captured bytes, and every loop advances by at least one header.
 *
 * `offset` and `capturedLength` select the frame inside `bytes`; `wireLength` is the frame's
 * original length, which bounds IP-level lengths, so a frame cut by the snap length still
 * reports its real IP size. Non-IP frames (ARP, STP, LLDP, …) decode with ipVersion 0.
 */
export function decodeFrame(
  linkType: number,
  bytes: Uint8Array,
  offset: number,
  capturedLength: number,
  wireLength: number,
  timestampUs: number,
  out: DecodedPacket,
): DecodeResult {
  resetPacket(out);
  const end = Math.min(offset + capturedLength, bytes.length);
  out.timestampUs = timestampUs;
  out.linkType = linkType;
  out.capturedLength = capturedLength;
  // Some writers record an original length below the captured one; the frame had at least the captured bytes.
  out.wireLength = wireLength < capturedLength ? capturedLength : wireLength;

  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (end - offset < 14) return SKIP_LINK_HEADER_TRUNCATED;
      return decodeEtherType(bytes, offset + 14, end, offset, (bytes[offset + 12] << 8) | bytes[offset + 13], out);
    case LINKTYPE_LINUX_SLL:
      if (end - offset < 16) return SKIP_LINK_HEADER_TRUNCATED;
      return decodeEtherType(bytes, offset + 16, end, offset, (bytes[offset + 14] << 8) | bytes[offset + 15], out);
    case LINKTYPE_LINUX_SLL2:
      if (end - offset < 20) return SKIP_LINK_HEADER_TRUNCATED;
      return decodeEtherType(bytes, offset + 20, end, offset, (bytes[offset] << 8) | bytes[offset + 1], out);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_DLT12:
    case LINKTYPE_RAW_DLT14:
      return decodeIpByVersion(bytes, offset, end, offset, out);
    case LINKTYPE_IPV4:
      return decodeIPv4(bytes, offset, end, offset, out);
    case LINKTYPE_IPV6:
      return decodeIPv6(bytes, offset, end, offset, out);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeLoopback(linkType, bytes, offset, end, out);
    case LINKTYPE_NFLOG:
      return decodeNflog(bytes, offset, end, out);
    default:
      return SKIP_UNSUPPORTED_LINK_TYPE;
  }
}

function resetPacket(out: DecodedPacket): void {
  // src6/dst6 keep stale bytes on purpose: they are meaningful only when ipVersion is 6.
  out.timestampExtraNs = 0;
  out.linkHeaderLength = 0;
  out.vlanDepth = 0;
  out.vlanId = -1;
  out.ipVersion = 0;
  out.src4 = 0;
  out.dst4 = 0;
  out.ipHeaderLength = 0;
  out.ipTotalLength = 0;
  out.ttl = 0;
  out.isFragment = false;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  out.fragmentId = 0;
  out.protocol = 0;
  out.l4Decoded = false;
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpFlags = 0;
  out.tcpWindow = 0;
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.icmpType = 0;
  out.icmpCode = 0;
  out.l4HeaderLength = 0;
  out.payloadLength = 0;
}

/**
 * Walks VLAN tags (802.1Q, 802.1ad, legacy 0x9100, any depth), LLC/SNAP, MPLS label stacks
 * and PPPoE sessions down to the IP header. Each step consumes header bytes, so the loop ends.
 */
function decodeEtherType(bytes: Uint8Array, pos: number, end: number, frameStart: number, etherType: number, out: DecodedPacket): DecodeResult {
  let type = etherType;
  for (;;) {
    if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_LEGACY) {
      if (end - pos < 4) return SKIP_LINK_HEADER_TRUNCATED;
      if (out.vlanDepth === 0) out.vlanId = ((bytes[pos] & 0x0f) << 8) | bytes[pos + 1];
      out.vlanDepth++;
      type = (bytes[pos + 2] << 8) | bytes[pos + 3];
      pos += 4;
      continue;
    }
    if (type < ETHERTYPE_MIN) {
      // 802.3 frame: only LLC/SNAP (AA AA 03, OUI, EtherType) can carry IP.
      if (end - pos >= 8 && bytes[pos] === 0xaa && bytes[pos + 1] === 0xaa && bytes[pos + 2] === 0x03) {
        type = (bytes[pos + 6] << 8) | bytes[pos + 7];
        pos += 8;
        continue;
      }
      return finishNonIp(pos, frameStart, out);
    }
    break;
  }

  switch (type) {
    case ETHERTYPE_IPV4:
      out.linkHeaderLength = pos - frameStart;
      return decodeIPv4(bytes, pos, end, frameStart, out);
    case ETHERTYPE_IPV6:
      out.linkHeaderLength = pos - frameStart;
      return decodeIPv6(bytes, pos, end, frameStart, out);
    case ETHERTYPE_MPLS_UNICAST:
    case ETHERTYPE_MPLS_MULTICAST:
      return decodeMpls(bytes, pos, end, frameStart, out);
    case ETHERTYPE_PPPOE_SESSION: {
      if (end - pos < 8) return SKIP_LINK_HEADER_TRUNCATED;
      const pppProtocol = (bytes[pos + 6] << 8) | bytes[pos + 7];
      pos += 8;
      out.linkHeaderLength = pos - frameStart;
      if (pppProtocol === 0x0021) return decodeIPv4(bytes, pos, end, frameStart, out);
      if (pppProtocol === 0x0057) return decodeIPv6(bytes, pos, end, frameStart, out);
      return finishNonIp(pos, frameStart, out);
    }
    default:
      return finishNonIp(pos, frameStart, out);
  }
}

/** MPLS carries no payload type: after the bottom-of-stack label the IP version nibble decides. */
function decodeMpls(bytes: Uint8Array, pos: number, end: number, frameStart: number, out: DecodedPacket): DecodeResult {
  for (;;) {
    if (end - pos < 4) return SKIP_LINK_HEADER_TRUNCATED;
    const bottomOfStack = (bytes[pos + 2] & 0x01) !== 0;
    pos += 4;
    if (bottomOfStack) break;
  }
  if (end - pos < 1) return finishNonIp(pos, frameStart, out);
  const version = bytes[pos] >> 4;
  if (version !== 4 && version !== 6) return finishNonIp(pos, frameStart, out);
  out.linkHeaderLength = pos - frameStart;
  return version === 4 ? decodeIPv4(bytes, pos, end, frameStart, out) : decodeIPv6(bytes, pos, end, frameStart, out);
}

function finishNonIp(pos: number, frameStart: number, out: DecodedPacket): DecodeResult {
  out.linkHeaderLength = pos - frameStart;
  return DECODED;
}

/**
 * BSD null (0) stores the address family in the capturing host's byte order, loop (108) in
 * network order. AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 on the BSDs and macOS and
 * 10 on Linux. Other families are non-IP.
 */
function decodeLoopback(linkType: number, bytes: Uint8Array, offset: number, end: number, out: DecodedPacket): DecodeResult {
  if (end - offset < 4) return SKIP_LINK_HEADER_TRUNCATED;
  let family: number;
  if (linkType === LINKTYPE_LOOP || (bytes[offset] === 0 && bytes[offset + 1] === 0)) {
    family = (bytes[offset + 2] << 8) | bytes[offset + 3];
  } else {
    family = bytes[offset] | (bytes[offset + 1] << 8);
  }
  const pos = offset + 4;
  out.linkHeaderLength = 4;
  if (family === 2) return decodeIPv4(bytes, pos, end, offset, out);
  if (family === 24 || family === 28 || family === 30 || family === 10) return decodeIPv6(bytes, pos, end, offset, out);
  return DECODED;
}

/**
 * NFLOG: a 4-byte header (family, version, resource id) then type-length-value attributes in
 * the capturing host's byte order, each padded to 4 bytes. NFULA_PAYLOAD contains the IP packet.
 * Lengths are read little-endian first (every Linux host that writes NFLOG today) and
 * big-endian when the little-endian value cannot be right.
 */
function decodeNflog(bytes: Uint8Array, offset: number, end: number, out: DecodedPacket): DecodeResult {
  if (end - offset < 4) return SKIP_LINK_HEADER_TRUNCATED;
  const family = bytes[offset];
  let pos = offset + 4;
  while (end - pos >= 4) {
    let length = bytes[pos] | (bytes[pos + 1] << 8);
    let type = bytes[pos + 2] | (bytes[pos + 3] << 8);
    if (length < 4 || pos + length > end) {
      length = (bytes[pos] << 8) | bytes[pos + 1];
      type = (bytes[pos + 2] << 8) | bytes[pos + 3];
    }
    if (length < 4) return SKIP_LINK_HEADER_TRUNCATED;
    // The top bits of the type are the nested and byte-order flags.
    if ((type & 0x7fff) === NFULA_PAYLOAD) {
      const payload = pos + 4;
      out.linkHeaderLength = payload - offset;
      const payloadEnd = Math.min(end, pos + length);
      if (family === 2) return decodeIPv4(bytes, payload, payloadEnd, offset, out);
      if (family === 10) return decodeIPv6(bytes, payload, payloadEnd, offset, out);
      return decodeIpByVersion(bytes, payload, payloadEnd, offset, out);
    }
    pos += (length + 3) & ~3;
  }
  return finishNonIp(offset + 4, offset, out);
}

function decodeIpByVersion(bytes: Uint8Array, pos: number, end: number, frameStart: number, out: DecodedPacket): DecodeResult {
  if (end - pos < 1) return SKIP_LINK_HEADER_TRUNCATED;
  const version = bytes[pos] >> 4;
  out.linkHeaderLength = pos - frameStart;
  if (version === 4) return decodeIPv4(bytes, pos, end, frameStart, out);
  if (version === 6) return decodeIPv6(bytes, pos, end, frameStart, out);
  return SKIP_IP_VERSION_INVALID;
}

function decodeIPv4(bytes: Uint8Array, pos: number, end: number, frameStart: number, out: DecodedPacket): DecodeResult {
  if (end - pos < 20) return SKIP_IPV4_HEADER_TRUNCATED;
  const versionAndIhl = bytes[pos];
  if (versionAndIhl >> 4 !== 4) return SKIP_IP_VERSION_INVALID;
  const headerLength = (versionAndIhl & 0x0f) << 2;
  if (headerLength < 20) return SKIP_IPV4_HEADER_LENGTH_INVALID;
  if (end - pos < headerLength) return SKIP_IPV4_HEADER_TRUNCATED;

  // IP-level bytes the frame can hold, from the wire length, so snap-length cuts do not count.
  const available = out.wireLength - (pos - frameStart);
  let totalLength = (bytes[pos + 2] << 8) | bytes[pos + 3];
  if (totalLength < headerLength) {
    // Linux BIG TCP over IPv4 sends GSO packets above 64 KiB with total length 0.
    if (totalLength === 0 && available >= BIG_TCP_MIN_BYTES) totalLength = available;
    else return SKIP_IPV4_TOTAL_LENGTH_INVALID;
  }
  if (totalLength > available) return SKIP_IP_LENGTH_EXCEEDS_FRAME;

  out.ipVersion = 4;
  out.ipHeaderLength = headerLength;
  out.ipTotalLength = totalLength;
  out.ttl = bytes[pos + 8];
  out.protocol = bytes[pos + 9];
  out.src4 = ((bytes[pos + 12] << 24) | (bytes[pos + 13] << 16) | (bytes[pos + 14] << 8) | bytes[pos + 15]) >>> 0;
  out.dst4 = ((bytes[pos + 16] << 24) | (bytes[pos + 17] << 16) | (bytes[pos + 18] << 8) | bytes[pos + 19]) >>> 0;

  const fragmentField = (bytes[pos + 6] << 8) | bytes[pos + 7];
  const moreFragments = (fragmentField & 0x2000) !== 0;
  const fragmentOffset = (fragmentField & 0x1fff) << 3;
  if (moreFragments || fragmentOffset !== 0) {
    out.isFragment = true;
    out.moreFragments = moreFragments;
    out.fragmentOffset = fragmentOffset;
    out.fragmentId = (bytes[pos + 4] << 8) | bytes[pos + 5];
  }
  if (fragmentOffset !== 0) {
    // Later fragments carry no transport header: whatever sits here is payload, not ports.
    out.payloadLength = totalLength - headerLength;
    return DECODED;
  }
  return decodeTransport(bytes, pos + headerLength, end, totalLength - headerLength, out);
}

function decodeIPv6(bytes: Uint8Array, pos: number, end: number, frameStart: number, out: DecodedPacket): DecodeResult {
  if (end - pos < 40) return SKIP_IPV6_HEADER_TRUNCATED;
  if (bytes[pos] >> 4 !== 6) return SKIP_IP_VERSION_INVALID;

  const payloadLength = (bytes[pos + 4] << 8) | bytes[pos + 5];
  let totalLength = 40 + payloadLength;
  let next = bytes[pos + 6];
  out.ttl = bytes[pos + 7];
  const src6 = out.src6;
  const dst6 = out.dst6;
  for (let i = 0; i < 16; i++) {
    src6[i] = bytes[pos + 8 + i];
    dst6[i] = bytes[pos + 24 + i];
  }

  let headerEnd = pos + 40;
  let laterFragment = false;
  // Each extension header is at least 8 bytes, so the walk ends within the captured bytes.
  walk: for (;;) {
    switch (next) {
      case 0: // Hop-by-Hop Options
      case 43: // Routing
      case 60: // Destination Options
      case 135: // Mobility
      case 139: // HIP
      case 140: {
        // Shim6. NOTE: an extension header cut by the snap length is skipped like a malformed
        // one, because the upper-layer protocol stays unknown.
        if (end - headerEnd < 8) return SKIP_IPV6_EXTENSION_TRUNCATED;
        const length = (bytes[headerEnd + 1] + 1) << 3;
        if (end - headerEnd < length) return SKIP_IPV6_EXTENSION_TRUNCATED;
        if (next === 0 && payloadLength === 0 && headerEnd === pos + 40) {
          const jumbo = findJumboPayloadLength(bytes, headerEnd + 2, headerEnd + length);
          if (jumbo > 0) totalLength = 40 + jumbo;
        }
        if (headerEnd + length > pos + totalLength) return SKIP_IPV6_EXTENSION_TRUNCATED;
        next = bytes[headerEnd];
        headerEnd += length;
        break;
      }
      case 51: {
        // Authentication Header: length in 4-byte units minus 2.
        if (end - headerEnd < 8) return SKIP_IPV6_EXTENSION_TRUNCATED;
        const length = (bytes[headerEnd + 1] + 2) << 2;
        if (end - headerEnd < length || headerEnd + length > pos + totalLength) return SKIP_IPV6_EXTENSION_TRUNCATED;
        next = bytes[headerEnd];
        headerEnd += length;
        break;
      }
      case 44: {
        // Fragment header, fixed 8 bytes.
        if (end - headerEnd < 8 || headerEnd + 8 > pos + totalLength) return SKIP_IPV6_EXTENSION_TRUNCATED;
        const offsetField = (bytes[headerEnd + 2] << 8) | bytes[headerEnd + 3];
        const fragmentOffset = offsetField & 0xfff8;
        const moreFragments = (offsetField & 0x0001) !== 0;
        if (fragmentOffset !== 0 || moreFragments) {
          out.isFragment = true;
          out.moreFragments = moreFragments;
          out.fragmentOffset = fragmentOffset;
          out.fragmentId =
            ((bytes[headerEnd + 4] << 24) | (bytes[headerEnd + 5] << 16) | (bytes[headerEnd + 6] << 8) | bytes[headerEnd + 7]) >>> 0;
        }
        next = bytes[headerEnd];
        headerEnd += 8;
        if (fragmentOffset !== 0) {
          laterFragment = true;
          break walk;
        }
        break;
      }
      default:
        break walk;
    }
  }

  const available = out.wireLength - (pos - frameStart);
  if (totalLength > available) return SKIP_IP_LENGTH_EXCEEDS_FRAME;

  const headerLength = headerEnd - pos;
  out.ipVersion = 6;
  out.ipHeaderLength = headerLength;
  out.ipTotalLength = totalLength;
  out.protocol = next;
  if (laterFragment) {
    out.payloadLength = totalLength - headerLength;
    return DECODED;
  }
  return decodeTransport(bytes, headerEnd, end, totalLength - headerLength, out);
}

/** Returns the Jumbo Payload option's length (RFC 2675) from Hop-by-Hop options, or 0. */
function findJumboPayloadLength(bytes: Uint8Array, pos: number, end: number): number {
  while (pos < end) {
    const type = bytes[pos];
    if (type === 0) {
      pos++; // Pad1
      continue;
    }
    if (end - pos < 2) return 0;
    const length = bytes[pos + 1];
    if (type === 0xc2 && length === 4 && end - pos >= 6) {
      return ((bytes[pos + 2] << 24) | (bytes[pos + 3] << 16) | (bytes[pos + 4] << 8) | bytes[pos + 5]) >>> 0;
    }
    pos += 2 + length;
  }
  return 0;
}

/**
 * Reads the transport header at `pos`. `ipPayload` is the IP-level byte count after the IP
 * headers. A header that the IP length cannot hold is malformed and skipped, unless the packet
 * is a first fragment (its transport header may continue in the next fragment). A header
 * within the IP length that the snap length cut stays undecoded without a skip.
 */
function decodeTransport(bytes: Uint8Array, pos: number, end: number, ipPayload: number, out: DecodedPacket): DecodeResult {
  const captured = end - pos;
  switch (out.protocol) {
    case 6: {
      if (ipPayload < 20) return out.isFragment ? finishWithoutTransport(ipPayload, out) : SKIP_TCP_HEADER_PAST_END;
      if (captured < 20) return finishWithoutTransport(ipPayload, out);
      const headerLength = (bytes[pos + 12] >> 4) << 2;
      if (headerLength < 20) return SKIP_TCP_DATA_OFFSET_INVALID;
      if (headerLength > ipPayload) return out.isFragment ? finishWithoutTransport(ipPayload, out) : SKIP_TCP_HEADER_PAST_END;
      out.srcPort = (bytes[pos] << 8) | bytes[pos + 1];
      out.dstPort = (bytes[pos + 2] << 8) | bytes[pos + 3];
      out.tcpSeq = ((bytes[pos + 4] << 24) | (bytes[pos + 5] << 16) | (bytes[pos + 6] << 8) | bytes[pos + 7]) >>> 0;
      out.tcpAck = ((bytes[pos + 8] << 24) | (bytes[pos + 9] << 16) | (bytes[pos + 10] << 8) | bytes[pos + 11]) >>> 0;
      out.tcpFlags = bytes[pos + 13];
      out.tcpWindow = (bytes[pos + 14] << 8) | bytes[pos + 15];
      out.l4HeaderLength = headerLength;
      out.payloadLength = ipPayload - headerLength;
      out.l4Decoded = true;
      return DECODED;
    }
    case 17: {
      if (ipPayload < 8) return out.isFragment ? finishWithoutTransport(ipPayload, out) : SKIP_UDP_HEADER_PAST_END;
      if (captured < 8) return finishWithoutTransport(ipPayload, out);
      out.srcPort = (bytes[pos] << 8) | bytes[pos + 1];
      out.dstPort = (bytes[pos + 2] << 8) | bytes[pos + 3];
      out.l4HeaderLength = 8;
      out.payloadLength = ipPayload - 8;
      out.l4Decoded = true;
      return DECODED;
    }
    case 1:
    case 58: {
      // Every ICMP and ICMPv6 message starts with type, code, checksum and 4 type-specific bytes.
      if (ipPayload < 8) return out.isFragment ? finishWithoutTransport(ipPayload, out) : SKIP_ICMP_HEADER_PAST_END;
      if (captured < 2) return finishWithoutTransport(ipPayload, out);
      out.icmpType = bytes[pos];
      out.icmpCode = bytes[pos + 1];
      out.l4HeaderLength = 8;
      out.payloadLength = ipPayload - 8;
      out.l4Decoded = true;
      return DECODED;
    }
    default:
      return finishWithoutTransport(ipPayload, out);
  }
}

function finishWithoutTransport(ipPayload: number, out: DecodedPacket): DecodeResult {
  out.payloadLength = ipPayload;
  return DECODED;
}
