import { basename } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  formatDestinationAddress,
  formatSourceAddress,
  readCaptureFile,
  type CaptureFileStats,
  type DecodedPacket,
  type SkipReason,
} from '../../src/capture/index.ts';
import { hasSharedData, listCaptures, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';

reportMissingSharedData('shared captures');

const tcpdumpInstalled = (await execa('tcpdump', ['--version'], { reject: false })).exitCode === 0;
if (!tcpdumpInstalled) process.stderr.write('shared captures: packet counts not compared because tcpdump is not installed\n');

/** Files that are broken on purpose: the reader must reject them with this code and message part. */
const REJECTED: Record<string, { code: string; message: string }> = {
  'libpcap_pcap-invalid-version-1.pcap': { code: 'FG_ERR_CAPTURE_FILE_FORMAT', message: 'version 1.4' },
  'libpcap_linktype-reserved-field-not-zero.pcap': { code: 'FG_ERR_CAPTURE_FILE_FORMAT', message: 'reserved bits' },
  'libpcap_shb-option-too-long.pcapng': { code: 'FG_ERR_CAPTURE_FILE_FORMAT', message: 'Section Header Block' },
};

/**
 * Every skip in the shared captures, with its reason. Any other skip fails the test.
 * - tcpreplay_test.pcap: an MPLS-labelled ICMP echo whose IPv4 total length (255) exceeds its
 *   122-byte frame; tcpdump prints "truncated-ip - 155 bytes missing".
 * - zeek_ip-bogus-header-len.pcap: an IPv4 header with total length 0 in a 60-byte frame.
 */
const EXPLAINED_SKIPS: Record<string, Partial<Record<SkipReason, number>>> = {
  'tcpreplay_test.pcap': { 'ip-length-exceeds-frame': 1 },
  'zeek_ip-bogus-header-len.pcap': { 'ipv4-total-length-invalid': 1 },
};

/**
 * Packet count as tcpdump reads it. `tcpdump -r FILE | wc -l` counts lines, and tcpdump prints
 * more than one line for some packets (VXLAN, unknown frames), so the test reads tcpdump's
 * `--count` output instead. `-n` stops reverse DNS lookups, which hang without a resolver.
 */
async function tcpdumpCount(path: string): Promise<number> {
  const result = await execa('tcpdump', ['-n', '-r', path, '--count'], { reject: false, timeout: 60_000 });
  const match = /(\d+) packets?/.exec(String(result.stdout));
  if (!match) throw new Error(`tcpdump --count printed no count for ${path}: ${String(result.stderr)}`);
  return Number(match[1]);
}

/** Reads a capture and keeps a copy of every decoded packet's scalar fields and addresses. */
async function readAll(path: string): Promise<{ stats: CaptureFileStats; packets: Array<Omit<DecodedPacket, 'src6' | 'dst6'> & { src: string; dst: string }> }> {
  const packets: Array<Omit<DecodedPacket, 'src6' | 'dst6'> & { src: string; dst: string }> = [];
  const stats = await readCaptureFile(path, (packet) => {
    const { src6: _src6, dst6: _dst6, ...fields } = packet;
    packets.push({ ...fields, src: packet.ipVersion === 0 ? '' : formatSourceAddress(packet), dst: packet.ipVersion === 0 ? '' : formatDestinationAddress(packet) });
  });
  return { stats, packets };
}

const captures = hasSharedData
  ? [...(await listCaptures('attacks')), ...(await listCaptures('benign')), ...(await listCaptures('edge'))]
  : [];

describe.skipIf(!hasSharedData)('shared captures', () => {
  it.each(captures.map((path) => ({ name: basename(path), path })))('$name reads like tcpdump', async ({ name, path }) => {
    const rejection = REJECTED[name];
    if (rejection) {
      const error = await readCaptureFile(path, () => undefined).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ code: rejection.code });
      expect((error as Error).message).toContain(rejection.message);
      expect((error as Error).message).toContain(name);
      return;
    }

    const stats = await readCaptureFile(path, () => undefined);
    expect(stats.packetsDecoded + stats.packetsSkipped).toBe(stats.packetsRead);
    expect(stats.skipReasons).toEqual(EXPLAINED_SKIPS[name] ?? {});
    if (tcpdumpInstalled) expect(stats.packetsRead).toBe(await tcpdumpCount(path));
    if (name !== 'ionianctf_truncated_file_dos.pcap') {
      expect(stats.warnings).toEqual([]);
      expect(stats.truncated).toBe(false);
    }
  });

  it('truncated file yields whole records then a warning', async () => {
    const stats = await readCaptureFile(sharedPath('pcaps', 'edge', 'ionianctf_truncated_file_dos.pcap'), () => undefined);
    expect(stats.packetsRead).toBe(634);
    expect(stats.truncated).toBe(true);
    expect(stats.warnings).toHaveLength(1);
    expect(stats.warnings[0]).toContain('ends inside a record');
  });

  it('nanosecond pcap keeps the extra digits', async () => {
    const { stats, packets } = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_tcp-handshake-nano.pcap'));
    expect(stats.interfaces[0].timestampResolution).toBe('ns');
    // First record: 2014-12-09 17:16:09.924505488 UTC.
    expect(packets[0].timestampUs).toBe(Date.UTC(2014, 11, 9, 17, 16, 9) * 1000 + 924_505);
    expect(packets[0].timestampExtraNs).toBe(488);
    expect(packets[0].linkType).toBe(113);
  });

  it('big-endian pcap decodes', async () => {
    const { stats, packets } = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_pptp_bigendian.pcap'));
    expect(stats.byteOrder).toBe('big-endian');
    expect(packets[0].timestampUs).toBe(Date.UTC(2000, 2, 27, 8, 56, 35) * 1000 + 148_077);
    expect(stats.protocols).toEqual({ tcp: 22, 'ip-proto-47': 1 });
    expect(packets.filter((p) => p.dstPort === 1723 || p.srcPort === 1723)).toHaveLength(22);
  });

  it('pcapng with two interfaces keeps each resolution', async () => {
    const { stats, packets } = await readAll(sharedPath('pcaps', 'edge', 'zeek_pcapng-multi-interface.pcapng'));
    expect(stats.format).toBe('pcapng');
    expect(stats.interfaces.map((i) => i.timestampResolution)).toEqual(['ns', 'us']);
    expect(new Set(packets.map((p) => p.interfaceId))).toEqual(new Set([0, 1]));
    const ns = packets.filter((p) => p.interfaceId === 0);
    expect(ns.some((p) => p.timestampExtraNs > 0)).toBe(true);
    // First packet: 2026-01-06 01:31:29.500330493 UTC on the nanosecond interface.
    expect(Math.min(...packets.map((p) => p.timestampUs))).toBe(Date.UTC(2026, 0, 6, 1, 31, 29) * 1000 + 500_330);
  });

  it('VLAN stacks report depth and outer id', async () => {
    const qinq = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_802.1ad_QinQ.pcap'));
    expect(qinq.packets.map((p) => [p.vlanDepth, p.vlanId, p.ipVersion])).toEqual([
      [2, 200, 0],
      [2, 200, 0],
    ]);
    const triple = await readAll(sharedPath('pcaps', 'edge', 'zeek_vlan-qinqinq.pcap'));
    expect(triple.packets.every((p) => p.vlanDepth === 3 && p.protocol === 6 && p.l4Decoded)).toBe(true);
    const single = await readAll(sharedPath('pcaps', 'edge', 'zeek_http-vlan-0.pcap'));
    expect(single.packets.every((p) => p.vlanDepth === 1 && p.vlanId === 0)).toBe(true);
  });

  it('IPv4 fragments carry ports only on the first', async () => {
    const { packets } = await readAll(sharedPath('pcaps', 'edge', 'zeek_ipv4_fragmented-1_udp.pcap'));
    expect(packets.map((p) => [p.fragmentOffset, p.moreFragments, p.fragmentId, p.l4Decoded, p.srcPort, p.dstPort])).toEqual([
      [0, true, 242, true, 123, 137],
      [48, false, 242, false, 0, 0],
      [0, true, 242, true, 123, 137],
    ]);
    const syn = await readAll(sharedPath('pcaps', 'edge', 'zeek_ipv4_fragmented-syn.pcap'));
    expect(syn.packets.every((p) => p.isFragment)).toBe(true);
    expect(syn.packets[0].l4Decoded).toBe(false);
  });

  it('IPv6 fragments carry ports only on the first', async () => {
    const { packets } = await readAll(sharedPath('pcaps', 'edge', 'zeek_ipv6-fragmented-dns.pcap'));
    const fragments = packets.filter((p) => p.isFragment);
    expect(fragments.length).toBeGreaterThanOrEqual(3);
    for (const fragment of fragments) {
      expect(fragment.l4Decoded).toBe(fragment.fragmentOffset === 0);
      if (fragment.fragmentOffset === 0) expect(fragment.srcPort).toBe(53);
      else expect(fragment.srcPort).toBe(0);
      expect(fragment.protocol).toBe(17);
    }
  });

  it('IPv6 extension chains reach the transport header', async () => {
    const chain = await readAll(sharedPath('pcaps', 'edge', 'libpcap_ipv6_ext_headers.pcap'));
    expect(chain.packets[0]).toMatchObject({ ipVersion: 6, protocol: 17, l4Decoded: true });
    expect(chain.packets[0].ipHeaderLength).toBeGreaterThan(40);
    const routing = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_ipv6-routing-header.pcap'));
    expect(routing.packets.map((p) => p.protocol).sort()).toEqual([17, 17, 58, 58]);
    const ah = await readAll(sharedPath('pcaps', 'edge', 'libpcap_ipv6_ah_modes.pcap'));
    expect(ah.packets.map((p) => p.protocol)).toEqual([17, 41]);
  });

  it('IPv6 jumbo payload uses the Hop-by-Hop length', async () => {
    const { packets } = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_bigtcp-ipv6-hbh.pcap'));
    expect(packets[0].protocol).toBe(6);
    expect(packets[0].ipTotalLength).toBeGreaterThan(65_535);
    expect(packets[0].ipTotalLength).toBe(packets[0].wireLength - 14);
  });

  it('snap-length cuts keep IP-level sizes', async () => {
    const quic = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_null_quic_handshake_truncated_snaplen256.pcap'));
    const cut = quic.packets.filter((p) => p.capturedLength < p.wireLength);
    expect(cut).toHaveLength(4);
    for (const packet of cut) expect(packet.ipTotalLength).toBe(packet.wireLength - 4);
    const headers = await readAll(sharedPath('pcaps', 'edge', 'zeek_tcp_truncated-header.pcap'));
    expect(headers.stats.snapCutPackets).toBe(24);
    expect(headers.packets.every((p) => p.ipTotalLength >= p.capturedLength - 14 && p.l4Decoded)).toBe(true);
    // The fourth packet carries 84 payload bytes of which only the headers were captured.
    expect(headers.packets[3]).toMatchObject({ capturedLength: 54, ipTotalLength: 124, payloadLength: 84 });
    const rst = await readAll(sharedPath('pcaps', 'edge', 'tcpdump_tcp_rst_data-trunc.pcap'));
    expect(rst.packets[0]).toMatchObject({ capturedLength: 111, wireLength: 112, ipTotalLength: 98, payloadLength: 58, tcpFlags: 0x14 });
  });

  it('every supported link type decodes its file', async () => {
    const expectations: Array<[string, string, number]> = [
      ['tcpdump_LINKTYPE_RAW_ipv4.pcap', 'raw', 4],
      ['tcpdump_LINKTYPE_IPV4.pcap', 'ipv4', 4],
      ['tcpdump_LINKTYPE_IPV6.pcap', 'ipv6', 6],
      ['tcpdump_null_tcp_rst_diag_payload.pcap', 'null', 4],
      ['tcpdump_sll_mptcp-v1.pcap', 'linux-sll', 4],
      ['lwerdna_simple_http_sll2.pcap', 'linux-sll2', 4],
      ['tcpdump_nflog.pcap', 'nflog', 4],
      ['zeek_rotation_rawip.pcap', 'raw', 4],
    ];
    for (const [file, linkType, ipVersion] of expectations) {
      const { stats, packets } = await readAll(sharedPath('pcaps', 'edge', file));
      expect(Object.keys(stats.linkTypes), file).toEqual([linkType]);
      expect(packets.every((p) => p.ipVersion === ipVersion && p.l4Decoded), file).toBe(true);
    }
  });

  it('tunnels count as their outer protocol', async () => {
    const vxlan = await readAll(sharedPath('pcaps', 'edge', 'zeek_tunnels_vxlan-encapsulated-http.pcap'));
    expect(vxlan.packets.every((p) => p.protocol === 17 && (p.dstPort === 4789 || p.srcPort === 4789))).toBe(true);
    const gre = await readAll(sharedPath('pcaps', 'edge', 'zeek_tunnels_gre-sample.pcap'));
    expect(gre.stats.protocols).toEqual({ 'ip-proto-47': 40 });
    const teredo = await readAll(sharedPath('pcaps', 'edge', 'zeek_tunnels_Teredo.pcap'));
    expect(teredo.packets.some((p) => p.protocol === 17 && (p.srcPort === 3544 || p.dstPort === 3544))).toBe(true);
    expect(teredo.stats.ipv6Packets).toBe(0);
  });

  it('MPLS and LLC/SNAP frames reach TCP', async () => {
    const mpls = await readAll(sharedPath('pcaps', 'edge', 'zeek_mixed-vlan-mpls.pcap'));
    expect(mpls.stats.protocols).toEqual({ tcp: 47 });
    const snap = await readAll(sharedPath('pcaps', 'edge', 'zeek_snap-tcp.pcap'));
    expect(snap.packets.every((p) => p.protocol === 6 && p.linkHeaderLength === 22)).toBe(true);
  });

  it('attack captures decode their signature fields', async () => {
    const syn = await readAll(sharedPath('pcaps', 'attacks', 'stopddos_pkt.TCP.synflood.spoofed.pcap'));
    expect(syn.packets.every((p) => p.tcpFlags === 0x02 && p.dst === '10.10.10.10' && p.dstPort === 25565)).toBe(true);
    expect(new Set(syn.packets.map((p) => p.src)).size).toBeGreaterThan(1000);
    const dominate = await readAll(sharedPath('pcaps', 'attacks', 'stopddos_pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng'));
    expect(dominate.stats.format).toBe('pcap');
    expect(dominate.packets.some((p) => p.tcpFlags === 0xc2)).toBe(true);
    const amp = await readAll(sharedPath('pcaps', 'attacks', 'stopddos_amp.dns.RRSIG.fragmented.pcap'));
    const later = amp.packets.filter((p) => p.fragmentOffset > 0);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((p) => !p.l4Decoded && p.srcPort === 0)).toBe(true);
    const teardrop = await readAll(sharedPath('pcaps', 'attacks', 'lwerdna_teardrop.pcap'));
    expect(teardrop.packets.filter((p) => p.fragmentId === 242).map((p) => p.fragmentOffset)).toEqual([0, 24]);
  });
});
