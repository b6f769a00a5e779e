import { describe, expect, it } from 'vitest';
import { createFlowMeter } from '../../src/flows/flow-meter.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { BASE_US, feed, type PacketSpec } from './synthetic-packets.ts';

function udp(t: number, client: number, fromClient = true): PacketSpec {
  const host = `10.1.0.${client}`;
  return fromClient
    ? { t, src: host, dst: '10.9.9.9', sport: 5000, dport: 53, protocol: 17, pl: 10 }
    : { t, src: '10.9.9.9', dst: host, sport: 53, dport: 5000, protocol: 17, pl: 10 };
}

describe('table bound and eviction order', () => {
  it('evicts one-packet flows before longer ones', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ maxFlows: 16 }, (record) => records.push(record));
    const packets: PacketSpec[] = [];
    // Fifteen two-packet flows first, so they are the least recently active, then one lone packet.
    for (let client = 1; client <= 15; client++) packets.push(udp(client * 10, client), udp(client * 10 + 1, client, false));
    packets.push(udp(1_000, 100), udp(2_000, 101));
    feed(packets, (packet) => meter.ingest(packet));
    expect(records).toHaveLength(1);
    expect(records[0].exportReason).toBe('evicted');
    expect(records[0].srcAddr).toBe('10.1.0.100');
    expect(meter.stats.evicted).toBe(1);
    expect(meter.stats.flowsActive).toBe(16);
  });

  it('evicts the least recently active longer flow', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ maxFlows: 16, mode: 'cic2017' }, (record) => records.push(record));
    const packets: PacketSpec[] = [];
    for (let client = 1; client <= 16; client++) packets.push(udp(client * 10, client), udp(client * 10 + 1, client, false));
    packets.push(udp(500, 1));
    packets.push(udp(1_000, 200), udp(1_001, 200, false));
    feed(packets, (packet) => meter.ingest(packet));
    expect(records.map((record) => [record.srcAddr, record.exportReason])).toEqual([['10.1.0.2', 'evicted']]);
  });
});

describe('cic2017 flow timeout from a timer', () => {
  it('exports old flows and drops lone packets', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ mode: 'cic2017' }, (record) => records.push(record));
    feed([udp(0, 1), udp(10, 1, false), udp(20, 2)], (packet) => meter.ingest(packet));
    meter.advanceTime(BASE_US + 100_000_000);
    expect(records).toHaveLength(0);
    meter.advanceTime(BASE_US + 120_000_100);
    expect(records.map((record) => record.exportReason)).toEqual(['flow-timeout']);
    expect(meter.stats.singlePacketDropped).toBe(1);
    expect(meter.stats.flowsActive).toBe(0);
  });
});

describe('idle timeouts per protocol', () => {
  it('expires UDP and TCP flows at their own timeouts', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ idleTimeoutMs: { udp: 1_000, tcp: 5_000 } }, (record) => records.push(record));
    feed(
      [
        udp(0, 1),
        { t: 0, src: '10.1.0.2', dst: '10.9.9.9', sport: 4000, dport: 80, flags: 0x02, hdr: 20 },
        // A packet of another flow advances packet time past the UDP timeout only.
        udp(2_000_000, 3),
      ],
      (packet) => meter.ingest(packet),
    );
    expect(records.map((record) => [record.srcAddr, record.exportReason])).toEqual([['10.1.0.1', 'idle']]);
    meter.advanceTime(BASE_US + 5_000_001);
    expect(records.map((record) => record.srcAddr)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
  });
});
