import { describe, expect, it } from 'vitest';
import { createDecodedPacket } from '../../src/capture/packet.ts';
import { FEATURE_INDEX, type FeatureName } from '../../src/flows/columns.ts';
import { createFlowMeter } from '../../src/flows/flow-meter.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { runMeter } from './run-meter.ts';
import { ACK, BASE_US, feed, FIN, ipv4ToInt, PSH, RST, SYN, type PacketSpec } from './synthetic-packets.ts';

const C = '10.0.0.1';
const S = '10.0.0.2';

function feature(record: FlowRecord, name: FeatureName): number {
  return record.features[FEATURE_INDEX[name]];
}

function tcp(t: number, fromClient: boolean, flags: number, pl = 0, options: Partial<PacketSpec> = {}): PacketSpec {
  return {
    t,
    src: fromClient ? C : S,
    dst: fromClient ? S : C,
    sport: fromClient ? 45000 : 80,
    dport: fromClient ? 80 : 45000,
    flags,
    hdr: 20,
    pl,
    win: fromClient ? 1000 : 2000,
    ...options,
  };
}

function allFinite(record: FlowRecord): boolean {
  return Array.from(record.features).every(Number.isFinite);
}

describe('TCP teardown in corrected mode', () => {
  it('late FIN and ACK join the closed flow', () => {
    const packets = [
      tcp(0, true, SYN),
      tcp(100, false, SYN | ACK),
      tcp(200, true, ACK),
      tcp(300, true, PSH | ACK, 100),
      tcp(400, false, PSH | ACK, 200),
      tcp(500, true, FIN | ACK),
      tcp(600, false, FIN | ACK),
      tcp(700, true, ACK),
      tcp(2_700, false, FIN | ACK),
      tcp(2_800, true, ACK),
    ];
    const { records } = runMeter(packets);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record.exportReason).toBe('fin');
    expect(record.handshakeSeen).toBe(true);
    expect(feature(record, 'Total Fwd Packets')).toBe(6);
    expect(feature(record, 'Total Backward Packets')).toBe(4);
    expect(feature(record, 'Flow Duration')).toBe(2_800);
    expect(feature(record, 'FIN Flag Count')).toBe(3);
    expect(feature(record, 'SYN Flag Count')).toBe(2);
    expect(feature(record, 'ACK Flag Count')).toBe(9);
    expect(feature(record, 'Total Length of Fwd Packets')).toBe(100);
    expect(feature(record, 'Total Length of Bwd Packets')).toBe(200);
  });

  const handshake = [tcp(0, true, SYN), tcp(100, false, SYN | ACK), tcp(200, true, ACK)];
  const closings: Array<[string, PacketSpec[], number]> = [
    ['client FIN first', [tcp(1_000, true, FIN | ACK), tcp(1_100, false, ACK), tcp(1_200, false, FIN | ACK), tcp(1_300, true, ACK)], 7],
    ['server FIN first', [tcp(1_000, false, FIN | ACK), tcp(1_100, true, ACK), tcp(1_200, true, FIN | ACK), tcp(1_300, false, ACK)], 7],
    [
      'client FIN retransmitted',
      [tcp(1_000, true, FIN | ACK), tcp(1_100, false, ACK), tcp(1_200, false, FIN | ACK), tcp(1_300, true, ACK), tcp(201_000, true, FIN | ACK)],
      8,
    ],
  ];
  for (const [name, closing, packets] of closings) {
    it(`${name} gives one flow`, () => {
      const { records } = runMeter([...handshake, ...closing]);
      expect(records).toHaveLength(1);
      expect(records[0].exportReason).toBe('fin');
      expect(feature(records[0], 'Total Fwd Packets') + feature(records[0], 'Total Backward Packets')).toBe(packets);
    });
  }

  it('client RSTs empty the table after the linger', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ tcpLingerMs: 5_000 }, (record) => records.push(record));
    const packets: PacketSpec[] = [];
    for (let connection = 0; connection < 10_000; connection++) {
      const t = connection * 1_000;
      const sport = 10_000 + connection;
      packets.push(
        { ...tcp(t, true, SYN), sport },
        { ...tcp(t + 100, false, SYN | ACK), dport: sport },
        { ...tcp(t + 200, true, ACK), sport },
        { ...tcp(t + 300, true, RST | ACK), sport },
      );
    }
    feed(packets, (packet) => meter.ingest(packet));
    meter.advanceTime(BASE_US + 9_999_300 + 5_000_001);
    expect(meter.stats.flowsActive).toBe(0);
    expect(records).toHaveLength(10_000);
    expect(records.every((record) => record.exportReason === 'rst')).toBe(true);
    expect(records.every((record) => feature(record, 'Total Fwd Packets') === 3 && feature(record, 'Total Backward Packets') === 1)).toBe(true);

    feed([{ ...tcp(20_000_000, true, SYN), sport: 10_000 }], (packet) => meter.ingest(packet));
    expect(meter.stats.flowsActive).toBe(1);
    meter.flush();
    expect(records).toHaveLength(10_001);
    expect(records[10_000].srcPort).toBe(10_000);
    expect(feature(records[10_000], 'Total Fwd Packets')).toBe(1);
  });

  it('SYN during the linger starts a new flow', () => {
    const { records } = runMeter([tcp(0, true, SYN), tcp(100, false, SYN | ACK), tcp(200, true, RST), tcp(1_000, true, SYN)]);
    expect(records.map((record) => record.exportReason)).toEqual(['rst', 'end-of-input']);
    expect(feature(records[1], 'Total Fwd Packets')).toBe(1);
  });
});

describe('edge cases of corrected mode', () => {
  it('SYN retried five times is one flow', () => {
    const times = [0, 1_000_000, 3_000_000, 7_000_000, 15_000_000];
    const { records } = runMeter(times.map((t) => tcp(t, true, SYN)));
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(feature(record, 'Total Fwd Packets')).toBe(5);
    expect(feature(record, 'Total Backward Packets')).toBe(0);
    expect(feature(record, 'SYN Flag Count')).toBe(5);
    expect(feature(record, 'Flow Duration')).toBe(15_000_000);
    expect(feature(record, 'Idle Max')).toBe(8_000_000);
    expect(feature(record, 'Active Max')).toBe(7_000_000);
    expect(record.handshakeSeen).toBe(false);
  });

  it('zero-duration flows have finite features', () => {
    const udp = runMeter([{ t: 0, src: C, dst: S, sport: 5000, dport: 53, protocol: 17, pl: 30 }]).records;
    expect(udp).toHaveLength(1);
    expect(allFinite(udp[0])).toBe(true);
    expect(feature(udp[0], 'Flow Bytes/s')).toBe(-1);
    expect(feature(udp[0], 'Flow Packets/s')).toBe(-1);

    const sameTime = runMeter([tcp(0, true, SYN), tcp(0, false, SYN | ACK)]).records;
    expect(sameTime).toHaveLength(1);
    expect(allFinite(sameTime[0])).toBe(true);
    expect(feature(sameTime[0], 'Flow Duration')).toBe(0);
    expect(feature(sameTime[0], 'Flow IAT Mean')).toBe(0);
  });

  it('out-of-order ACK is clamped and counted', () => {
    const { records, meter } = runMeter([tcp(1_000, true, SYN), tcp(2_000, false, SYN | ACK), tcp(1_500, true, ACK)]);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(meter.stats.outOfOrderClamped).toBe(1);
    expect(feature(record, 'Flow Duration')).toBe(1_000);
    expect(feature(record, 'Flow IAT Min')).toBe(0);
    expect(feature(record, 'Fwd IAT Min')).toBe(1_000);
    expect(Array.from(record.features).every((value) => value >= 0)).toBe(true);
  });

  it('SYN-ACK before its SYN keeps the SYN sender forward', () => {
    const { records } = runMeter([tcp(0, false, SYN | ACK), tcp(10, true, SYN), tcp(20, true, ACK)]);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record.srcAddr).toBe(C);
    expect(record.dstPort).toBe(80);
    expect(feature(record, 'Total Fwd Packets')).toBe(2);
    expect(feature(record, 'Total Backward Packets')).toBe(1);
    expect(feature(record, 'Init_Win_bytes_forward')).toBe(1000);
    expect(feature(record, 'Init_Win_bytes_backward')).toBe(2000);
    expect(record.handshakeSeen).toBe(true);
  });

  const backscatter: PacketSpec[] = Array.from({ length: 200 }, (_, index) => ({
    t: index * 1_000,
    src: '198.51.100.7',
    dst: S,
    sport: 80,
    dport: 1_024 + ((index * 7_919) % 60_000),
    flags: RST,
    hdr: 20,
  }));

  it('lone RSTs open flows when allowed', () => {
    const { records } = runMeter(backscatter, { openFlowOnBareTcp: true });
    expect(records).toHaveLength(200);
    expect(records.every((record) => feature(record, 'SYN Flag Count') === 0)).toBe(true);
    expect(records.every((record) => feature(record, 'RST Flag Count') === 1)).toBe(true);
    expect(records.every((record) => !record.handshakeSeen)).toBe(true);
  });

  it('lone RSTs are counted, not metered, by default', () => {
    const { records, meter } = runMeter(backscatter);
    expect(records).toHaveLength(0);
    expect(meter.stats.bareTcpIgnored).toBe(200);
  });
});

describe('protocols and encapsulations in corrected mode', () => {
  it('IPv6 with a hop-by-hop header is one flow', () => {
    const a = '2001:db8::1';
    const b = '2001:db8::2';
    const { records } = runMeter([
      { t: 0, src: a, dst: b, sport: 5000, dport: 53, protocol: 17, pl: 40, ipHeaderLength: 48 },
      { t: 500, src: b, dst: a, sport: 53, dport: 5000, protocol: 17, pl: 120, ipHeaderLength: 48 },
    ]);
    expect(records).toHaveLength(1);
    expect(records[0].ipVersion).toBe(6);
    expect(records[0].srcAddr).toBe(a);
    expect(records[0].flowId).toBe('2001:db8::1-2001:db8::2-5000-53-17');
    expect(feature(records[0], 'Total Length of Fwd Packets')).toBe(40);
    expect(feature(records[0], 'Total Length of Bwd Packets')).toBe(120);
  });

  it('ICMP and ICMPv6 echoes are flows', () => {
    const icmp = runMeter([
      { t: 0, src: C, dst: S, protocol: 1, icmpType: 8, pl: 56 },
      { t: 300, src: S, dst: C, protocol: 1, icmpType: 0, pl: 56 },
    ]).records;
    expect(icmp).toHaveLength(1);
    expect(icmp[0].protocol).toBe(1);
    expect(icmp[0].icmpType).toBe(8);
    expect(feature(icmp[0], 'Total Backward Packets')).toBe(1);

    const icmp6 = runMeter([
      { t: 0, src: 'fe80::1', dst: 'fe80::2', protocol: 58, icmpType: 128, pl: 56 },
      { t: 300, src: 'fe80::2', dst: 'fe80::1', protocol: 58, icmpType: 129, pl: 56 },
    ]).records;
    expect(icmp6).toHaveLength(1);
    expect(icmp6[0].protocol).toBe(58);
    expect(icmp6[0].icmpType).toBe(128);
    expect(feature(icmp6[0], 'Total Length of Bwd Packets')).toBe(56);
  });

  it('three UDP fragments are one flow', () => {
    const fragment = (t: number, offsetBytes: number, more: boolean, pl: number): PacketSpec => ({
      t,
      src: C,
      dst: S,
      sport: 4000,
      dport: 9999,
      protocol: 17,
      pl,
      fragment: { id: 777, offsetBytes, more },
    });
    const { records, meter } = runMeter([fragment(0, 0, true, 1472), fragment(10, 1480, true, 1480), fragment(20, 2960, false, 500)]);
    expect(records).toHaveLength(1);
    expect(records[0].srcPort).toBe(4000);
    expect(records[0].dstPort).toBe(9999);
    expect(feature(records[0], 'Total Fwd Packets')).toBe(3);
    expect(feature(records[0], 'Total Length of Fwd Packets')).toBe(1472 + 1480 + 500);
    expect(meter.stats.fragmentsWithoutFirst).toBe(0);
  });

  it('tagged requests and untagged replies are one flow', () => {
    const { records } = runMeter([
      { ...tcp(0, true, SYN), vlanId: 10, linkHeaderLength: 18 },
      tcp(100, false, SYN | ACK),
      { ...tcp(200, true, ACK), vlanId: 10, linkHeaderLength: 18 },
    ]);
    expect(records).toHaveLength(1);
    expect(feature(records[0], 'Total Fwd Packets')).toBe(2);
    expect(feature(records[0], 'Total Backward Packets')).toBe(1);
  });
});

describe('active timeout and table bounds', () => {
  it('active timeout cuts a stream into records', () => {
    const packets: PacketSpec[] = [];
    for (let second = 0; second <= 35; second++) packets.push({ t: second * 1_000_000, src: C, dst: S, sport: 6000, dport: 7000, protocol: 17, pl: 100 });
    const { records } = runMeter(packets, { activeTimeoutMs: 10_000 });
    expect(records.map((record) => [(record.startUs - BASE_US) / 1e6, (record.endUs - BASE_US) / 1e6, record.exportReason])).toEqual([
      [0, 9, 'active'],
      [10, 19, 'active'],
      [20, 29, 'active'],
      [30, 35, 'end-of-input'],
    ]);
    expect(records.every((record) => record.srcAddr === C)).toBe(true);
  });

  it('backward-only continuation has zero forward statistics', () => {
    const packets: PacketSpec[] = [{ t: 0, src: C, dst: S, sport: 6000, dport: 7000, protocol: 17, pl: 10 }];
    for (let second = 10; second <= 12; second++) packets.push({ t: second * 1_000_000, src: S, dst: C, sport: 7000, dport: 6000, protocol: 17, pl: 20 });
    const { records } = runMeter(packets, { activeTimeoutMs: 10_000 });
    expect(records).toHaveLength(2);
    const continuation = records[1];
    expect(continuation.srcAddr).toBe(C);
    expect(feature(continuation, 'Total Fwd Packets')).toBe(0);
    expect(feature(continuation, 'Total Backward Packets')).toBe(3);
    for (const name of ['Fwd Packet Length Max', 'Fwd Packet Length Mean', 'Fwd IAT Total', 'Avg Fwd Segment Size', 'Down/Up Ratio', 'min_seg_size_forward'] as const) {
      expect({ name, value: feature(continuation, name) }).toEqual({ name, value: 0 });
    }
    expect(allFinite(continuation)).toBe(true);
  });

  it('flood of one-packet flows stays bounded', () => {
    const records: FlowRecord[] = [];
    let exported = 0;
    const meter = createFlowMeter({ maxFlows: 500_000 }, (record) => {
      exported++;
      if (record.srcAddr === C) records.push(record);
    });
    const normal: PacketSpec[] = [tcp(0, true, SYN), tcp(100, false, SYN | ACK), tcp(200, true, ACK)];
    for (let step = 1; step <= 36; step++) normal.push(tcp(step * 1_000, step % 2 === 0, PSH | ACK, 100));
    normal.push(tcp(40_000, true, FIN | ACK), tcp(40_100, false, FIN | ACK), tcp(40_200, true, ACK));
    const normalEvery = Math.floor(2_000_000 / normal.length);
    const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
    let peakRssMB = rssBeforeMB;
    let sent = 0;
    const flood = createDecodedPacket();
    Object.assign(flood, { ipVersion: 4, protocol: 6, l4Decoded: true, tcpFlags: SYN, l4HeaderLength: 20, ipHeaderLength: 20, ipTotalLength: 40, linkType: 1, linkHeaderLength: 14, wireLength: 54, capturedLength: 54 });
    flood.dst4 = ipv4ToInt(S);
    flood.dstPort = 80;
    for (let index = 0; index < 2_000_000; index++) {
      flood.timestampUs = BASE_US + Math.floor(index / 50);
      flood.src4 = (0x0b000000 + index * 2_654_435_761) >>> 0;
      flood.srcPort = 1024 + (index % 60_000);
      meter.ingest(flood);
      if (index % normalEvery === 0 && sent < normal.length) {
        feed([{ ...normal[sent], t: Math.floor(index / 50) }], (decoded) => meter.ingest(decoded));
        sent++;
      }
      if (index % 250_000 === 0) peakRssMB = Math.max(peakRssMB, process.memoryUsage().rss / 2 ** 20);
    }
    meter.flush();
    const stats = meter.stats;
    expect(sent).toBe(normal.length);
    expect(stats.evicted).toBeGreaterThanOrEqual(1_500_000);
    expect(stats.exported.evicted).toBe(stats.evicted);
    expect(exported).toBe(2_000_001);
    expect(records).toHaveLength(1);
    expect(feature(records[0], 'Total Fwd Packets') + feature(records[0], 'Total Backward Packets')).toBe(normal.length);
    expect(records[0].handshakeSeen).toBe(true);
    expect(peakRssMB - rssBeforeMB).toBeLessThan(400);
  });
});
