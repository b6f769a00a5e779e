import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX } from '../../src/flows/columns.ts';
import { runMeter } from './run-meter.ts';
import { ACK, SYN } from './synthetic-packets.ts';

describe('cic2017 packet rules', () => {
  it('counts Ethernet padding as payload', () => {
    // Two 54-byte pure ACK frames: the 2017 dataset shows 6 padding bytes of "payload" each.
    const ack = { src: '192.168.10.5', dst: '192.168.10.50', sport: 40000, dport: 80, flags: ACK, hdr: 20, pl: 0 };
    const { records } = runMeter([{ ...ack, t: 0 }, { ...ack, t: 5 }], { mode: 'cic2017' });
    expect(records[0].features[FEATURE_INDEX['Fwd Packet Length Min']]).toBe(6);
    expect(records[0].features[FEATURE_INDEX['act_data_pkt_fwd']]).toBe(1);
  });

  it('corrected mode does not count padding', () => {
    const ack = { src: '192.168.10.5', dst: '192.168.10.50', sport: 40000, dport: 80, flags: SYN, hdr: 20, pl: 0 };
    const { records } = runMeter([{ ...ack, t: 0 }, { ...ack, t: 5 }]);
    expect(records[0].features[FEATURE_INDEX['Fwd Packet Length Max']]).toBe(0);
  });

  it('meters ICMP as protocol 0 by address pair', () => {
    const { records } = runMeter(
      [
        { t: 0, src: '10.0.0.1', dst: '10.0.0.2', protocol: 1, icmpType: 8, pl: 56 },
        { t: 10, src: '10.0.0.2', dst: '10.0.0.1', protocol: 1, icmpType: 0, pl: 56 },
      ],
      { mode: 'cic2017' },
    );
    expect(records).toHaveLength(1);
    expect(records[0].protocol).toBe(0);
    expect(records[0].flowId).toBe('10.0.0.1-10.0.0.2-0-0-0');
    expect(records[0].features[FEATURE_INDEX['Total Length of Fwd Packets']]).toBe(0);
    expect(records[0].features[FEATURE_INDEX['Init_Win_bytes_forward']]).toBe(-1);
  });

  it('ignores IPv6 and never writes one-packet flows', () => {
    const { records, meter } = runMeter(
      [
        { t: 0, src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2, protocol: 17, pl: 5 },
        { t: 0, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, protocol: 17, pl: 5 },
      ],
      { mode: 'cic2017' },
    );
    expect(records).toHaveLength(0);
    expect(meter.stats.ignoredNotIpv4).toBe(1);
    expect(meter.stats.singlePacketDropped).toBe(1);
  });

  it('orders Flow ID addresses as signed bytes', () => {
    const packet = { src: '8.8.8.8', dst: '192.168.1.2', sport: 53, dport: 5353, protocol: 17, pl: 10 };
    const { records } = runMeter([{ ...packet, t: 0 }, { ...packet, t: 1 }], { mode: 'cic2017' });
    expect(records[0].flowId).toBe('192.168.1.2-8.8.8.8-5353-53-17');
    expect(records[0].srcAddr).toBe('8.8.8.8');
  });
});

describe('options', () => {
  it('rejects unknown keys with a coded error', async () => {
    const { createFlowMeter } = await import('../../src/flows/flow-meter.ts');
    expect(() => createFlowMeter({ idleTimeoutMS: 5 } as never, () => undefined)).toThrow(/idleTimeoutMS/);
    let caught: unknown;
    try {
      createFlowMeter({ maxFlows: 3 }, () => undefined);
    } catch (err) {
      caught = err;
    }
    expect((caught as { code: string }).code).toBe('FG_ERR_FLOW_INVALID_OPTIONS');
    expect((caught as Error).message).toContain('/maxFlows');
  });
});
