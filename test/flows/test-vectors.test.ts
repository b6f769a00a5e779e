import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX, FEATURE_NAMES, type FeatureName } from '../../src/flows/columns.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { runMeter } from './run-meter.ts';
import * as V from './vectors.ts';

/** Compares every feature exactly (Object.is, so NaN equals NaN and 0 differs from -0 only by sign). */
function expectRow(record: FlowRecord | undefined, expected: number[]): void {
  expect(record).toBeDefined();
  const mismatches: string[] = [];
  expected.forEach((value, index) => {
    const actual = (record as FlowRecord).features[index];
    if (!(Object.is(value, actual) || (value === 0 && actual === 0))) mismatches.push(`${FEATURE_NAMES[index]}: expected ${value}, got ${actual}`);
  });
  expect(mismatches).toEqual([]);
}

function feature(record: FlowRecord, name: FeatureName): number {
  return record.features[FEATURE_INDEX[name]];
}

describe('cic2017 mode reproduces the Java rows', () => {
  const cases = [
    ['T1 published row', V.T1, V.T1_CIC2017],
    ['T2 FIN split', V.T2, V.T2_CIC2017],
    ['T3 UDP timeout', V.T3, V.T3_CIC2017],
    ['T4 timeout continuation', V.T4, V.T4_CIC2017],
    ['T5 RST ignored', V.T5, V.T5_CIC2017],
  ] as const;
  for (const [name, packets, rows] of cases) {
    it(name, () => {
      const { records } = runMeter(packets, { mode: 'cic2017' });
      expect(records).toHaveLength(rows.length);
      rows.forEach((row, index) => expectRow(records[index], V.parseJavaRow(row)));
    });
  }

  it('T1 identifies the flow like CICFlowMeter', () => {
    const [record] = runMeter(V.T1, { mode: 'cic2017' }).records;
    expect(record.flowId).toBe('192.168.10.5-104.16.207.165-54865-443-6');
    expect(record.srcAddr).toBe('104.16.207.165');
    expect(record.srcPort).toBe(443);
    expect(record.exportReason).toBe('end-of-input');
  });

  it('T2 exports the FIN leftover from the server', () => {
    const { records } = runMeter(V.T2, { mode: 'cic2017' });
    expect(records.map((record) => record.exportReason)).toEqual(['fin', 'end-of-input']);
    expect(records[1].srcAddr).toBe('192.168.10.50');
    expect(records[0].handshakeSeen).toBe(true);
  });

  it('T3 drops the lone packet after the timeout', () => {
    const { records, meter } = runMeter(V.T3, { mode: 'cic2017' });
    expect(records[0].exportReason).toBe('flow-timeout');
    expect(meter.stats.singlePacketDropped).toBe(1);
  });
});

describe('corrected mode on the same vectors', () => {
  it('T1 counts every flag and the first payload once', () => {
    const { records } = runMeter(V.T1);
    const expected = V.parseJavaRow(V.T1_CIC2017[0]);
    expected[FEATURE_INDEX['ACK Flag Count']] = 2;
    expected[FEATURE_INDEX['Average Packet Size']] = 6;
    expected[FEATURE_INDEX['Init_Win_bytes_backward']] = 0;
    expected[FEATURE_INDEX['act_data_pkt_fwd']] = 2;
    for (const name of ['Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets', 'Subflow Bwd Bytes'] as const) expected[FEATURE_INDEX[name]] = 0;
    expect(records).toHaveLength(1);
    expectRow(records[0], expected);
  });

  it('T2 is one flow of nine packets closed by FINs', () => {
    const { records } = runMeter(V.T2);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record.exportReason).toBe('fin');
    expect(record.handshakeSeen).toBe(true);
    const values: Partial<Record<FeatureName, number>> = {
      'Flow Duration': 5_400_200,
      'Total Fwd Packets': 6,
      'Total Backward Packets': 3,
      'Fwd PSH Flags': 1,
      'Bwd PSH Flags': 1,
      'FIN Flag Count': 2,
      'SYN Flag Count': 2,
      'RST Flag Count': 0,
      'PSH Flag Count': 2,
      'ACK Flag Count': 8,
      'URG Flag Count': 0,
      'CWE Flag Count': 0,
      'ECE Flag Count': 0,
      'Packet Length Mean': 144.44444444444443,
      'Down/Up Ratio': 0.5,
      'Subflow Fwd Packets': 6,
      'Subflow Fwd Bytes': 300,
      'Subflow Bwd Packets': 3,
      'Subflow Bwd Bytes': 1000,
      Init_Win_bytes_forward: 29200,
      Init_Win_bytes_backward: 28960,
      act_data_pkt_fwd: 1,
      'Fwd Header Length': 200,
      'Bwd Header Length': 104,
      'Active Mean': 200,
      'Idle Mean': 5_300_000,
    };
    for (const [name, value] of Object.entries(values)) expect({ name, value: feature(record, name as FeatureName) }).toEqual({ name, value });
    expectRow(
      record,
      V.parseJavaRow(
        '80,5400200,6,3,300,1000,300,0,50,122.47448713915891,1000,0,333.33333333333337,577.3502691896257,240.7318247472316,1.6666049405577572,675025,1869097.1896307892,5300000,50,5400200,1080040,2359479.188136653,5300100,50,5400000,2700000,3677096.6835262845,5300100,99900,1,1,0,0,200,104,1.1110699603718381,0.5555349801859191,0,1000,144.44444444444443,335.8240279934981,112777.77777777778,2,2,0,2,8,0,0,0,0.5,144.44444444444446,50,333.3333333333333,200,0,0,0,0,0,0,6,300,3,1000,29200,28960,1,32,200,0,200,200,5300000,0,5300000,5300000',
      ),
    );
  });

  it('T3 exports the lone packet with finite values', () => {
    const { records } = runMeter(V.T3);
    expect(records.map((record) => record.exportReason)).toEqual(['idle', 'end-of-input']);
    const lone = records[1];
    expect(feature(lone, 'Flow Duration')).toBe(0);
    expect(feature(lone, 'Flow Bytes/s')).toBe(-1);
    expect(feature(lone, 'Flow Packets/s')).toBe(-1);
    expect(feature(lone, 'Flow IAT Mean')).toBe(0);
    expect(feature(lone, 'Subflow Fwd Packets')).toBe(0);
    expect(Array.from(lone.features).every(Number.isFinite)).toBe(true);
    // The exchange itself: payload statistics without the duplicated first payload.
    expect(feature(records[0], 'Packet Length Mean')).toBe(80);
    expect(feature(records[0], 'Init_Win_bytes_forward')).toBe(0);
  });

  it('T4 continues a timed-out flow with its orientation', () => {
    const { records } = runMeter(V.T4, { idleTimeoutMs: { tcp: 300_000 } });
    expect(records.map((record) => record.exportReason)).toEqual(['flow-timeout', 'end-of-input']);
    const continuation = records[1];
    expect(continuation.srcAddr).toBe('192.168.10.5');
    expect(feature(continuation, 'Destination Port')).toBe(80);
    expect(feature(continuation, 'Total Fwd Packets')).toBe(1);
    expect(feature(continuation, 'Total Backward Packets')).toBe(1);
    expect(feature(continuation, 'Total Length of Fwd Packets')).toBe(400);
    expect(feature(continuation, 'Total Length of Bwd Packets')).toBe(300);
    expect(feature(continuation, 'Init_Win_bytes_forward')).toBe(800);
    expect(feature(continuation, 'Init_Win_bytes_backward')).toBe(700);
  });

  it('T4 with the default idle timeout starts afresh', () => {
    const { records } = runMeter(V.T4);
    expect(records.map((record) => record.exportReason)).toEqual(['idle', 'end-of-input']);
    expect(records[1].srcAddr).toBe('192.168.10.50');
  });

  it('T5 ends the flow at the RST and opens one at the SYN', () => {
    const { records } = runMeter(V.T5);
    expect(records.map((record) => record.exportReason)).toEqual(['rst', 'end-of-input']);
    expect(feature(records[0], 'Total Fwd Packets')).toBe(1);
    expect(feature(records[0], 'Total Backward Packets')).toBe(1);
    expect(feature(records[0], 'RST Flag Count')).toBe(1);
    expect(feature(records[0], 'SYN Flag Count')).toBe(1);
    expect(feature(records[1], 'Total Fwd Packets')).toBe(1);
    expect(feature(records[1], 'SYN Flag Count')).toBe(1);
  });
});
