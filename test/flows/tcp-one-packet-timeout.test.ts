import { describe, expect, it } from 'vitest';
import { createFlowMeter } from '../../src/flows/flow-meter.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { resolveFlowMeterOptions } from '../../src/flows/options.ts';
import { ACK, BASE_US, feed, SYN, type PacketSpec } from './synthetic-packets.ts';

function syn(t: number, sport: number): PacketSpec {
  return { t, src: '10.9.0.66', dst: '10.9.0.1', sport, dport: 80, flags: SYN, hdr: 20, pl: 0, win: 512 };
}

function handshake(t: number): PacketSpec[] {
  return [
    { t, src: '10.9.0.7', dst: '10.9.0.1', sport: 40000, dport: 80, flags: SYN, hdr: 40, pl: 0, win: 64240 },
    { t: t + 100, src: '10.9.0.1', dst: '10.9.0.7', sport: 80, dport: 40000, flags: SYN | ACK, hdr: 40, pl: 0, win: 65160 },
    { t: t + 200, src: '10.9.0.7', dst: '10.9.0.1', sport: 40000, dport: 80, flags: ACK, hdr: 32, pl: 0, win: 502 },
  ];
}

describe('one-packet TCP idle timeout', () => {
  it('defaults to the TCP idle timeout', () => {
    const options = resolveFlowMeterOptions({ idleTimeoutMs: { tcp: 30_000 } });
    expect(options.idleTimeoutMs.tcpOnePacket).toBe(30_000);
  });

  it('exports unanswered SYNs and keeps open connections', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ idleTimeoutMs: { tcp: 120_000, tcpOnePacket: 2_000 } }, (record) => records.push(record));
    feed([...handshake(0), syn(1_000_000, 1025), syn(2_000_000, 1026), syn(3_000_000, 1027)], (packet) => meter.ingest(packet));

    meter.advanceTime(BASE_US + 2_000_000);
    expect(records).toHaveLength(0);

    meter.advanceTime(BASE_US + 4_500_000);
    expect(records.map((record) => record.srcPort)).toEqual([1025, 1026]);
    expect(records.every((record) => record.exportReason === 'idle')).toBe(true);

    meter.advanceTime(BASE_US + 60_000_000);
    expect(records.map((record) => record.srcPort)).toEqual([1025, 1026, 1027]);

    meter.flush();
    const connection = records.find((record) => record.srcPort === 40000);
    expect(connection?.exportReason).toBe('end-of-input');
    expect(connection?.handshakeSeen).toBe(true);
  });

  it('ends a one-packet flow when its next packet comes after the timeout', () => {
    const records: FlowRecord[] = [];
    const meter = createFlowMeter({ idleTimeoutMs: { tcpOnePacket: 1_000 } }, (record) => records.push(record));
    feed([syn(0, 2000), syn(3_000_000, 2000)], (packet) => meter.ingest(packet));
    meter.flush();
    expect(records).toHaveLength(2);
    expect(records[0].exportReason).toBe('idle');
  });
});
