import { FEATURE_INDEX, type FeatureName } from '../../src/flows/columns.ts';

/**
 * The checks a CIC-IDS2017 CSV passes because of how the 2017 CICFlowMeter build computed it.
 * Each takes rows of 78 features (FEATURE_NAMES order) and returns the rows that break it.
 * V1 (column list) is a property of a file, not of rows, and is checked by the CSV writer test.
 */
export type FeatureRow = ArrayLike<number>;

const at = (row: FeatureRow, name: FeatureName): number => row[FEATURE_INDEX[name]];

/**
 * Equality up to the rounding of the published files: byte totals are doubles, which Java printed
 * in E-notation and the re-saved files kept to three significant digits (515934703 became
 * 516000000), while the subflow copies are integers printed in full.
 */
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 5e-3 * Math.max(1, Math.abs(a), Math.abs(b));

const BULK_AND_BACKWARD_FLAGS: FeatureName[] = [
  'Fwd Avg Bytes/Bulk',
  'Fwd Avg Packets/Bulk',
  'Fwd Avg Bulk Rate',
  'Bwd Avg Bytes/Bulk',
  'Bwd Avg Packets/Bulk',
  'Bwd Avg Bulk Rate',
  'Bwd PSH Flags',
  'Bwd URG Flags',
];
const FLAG_COUNTS: FeatureName[] = [
  'FIN Flag Count',
  'SYN Flag Count',
  'RST Flag Count',
  'PSH Flag Count',
  'ACK Flag Count',
  'URG Flag Count',
  'CWE Flag Count',
  'ECE Flag Count',
];

export const ROW_CHECKS: Record<string, (row: FeatureRow) => boolean> = {
  'V2 subflow columns equal the totals': (row) =>
    at(row, 'Subflow Fwd Packets') === at(row, 'Total Fwd Packets') &&
    close(at(row, 'Subflow Fwd Bytes'), at(row, 'Total Length of Fwd Packets')) &&
    at(row, 'Subflow Bwd Packets') === at(row, 'Total Backward Packets') &&
    close(at(row, 'Subflow Bwd Bytes'), at(row, 'Total Length of Bwd Packets')),
  'V3 bulk and backward PSH/URG are 0': (row) => BULK_AND_BACKWARD_FLAGS.every((name) => at(row, name) === 0),
  'V4 flag counts are 0 or 1': (row) => FLAG_COUNTS.every((name) => at(row, name) === 0 || at(row, name) === 1),
  'V5 Down/Up Ratio is an integer': (row) => Number.isInteger(at(row, 'Down/Up Ratio')),
  'V6 flag columns in java8 order': (row) =>
    at(row, 'SYN Flag Count') === at(row, 'Fwd PSH Flags') && at(row, 'CWE Flag Count') === at(row, 'Fwd URG Flags'),
  'V7 first payload counted twice': (row) => {
    const forward = at(row, 'Total Fwd Packets');
    if (at(row, 'Total Backward Packets') !== 0 || at(row, 'Fwd Packet Length Std') !== 0 || forward < 1) return true;
    const expected = (at(row, 'Fwd Packet Length Mean') * (forward + 1)) / forward;
    return Math.abs(at(row, 'Average Packet Size') - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
  },
  'V8 act_data_pkt_fwd excludes the first packet': (row) => at(row, 'act_data_pkt_fwd') <= at(row, 'Total Fwd Packets') - 1,
  'V9 no backward packet means window -1': (row) => at(row, 'Total Backward Packets') !== 0 || at(row, 'Init_Win_bytes_backward') === -1,
  'V10 at least two packets': (row) => at(row, 'Total Fwd Packets') + at(row, 'Total Backward Packets') >= 2,
  'V12 NaN and Infinity only at zero duration': (row) => {
    const zero = at(row, 'Flow Duration') === 0;
    const bytesRate = at(row, 'Flow Bytes/s');
    const packetRate = at(row, 'Flow Packets/s');
    const nanOk = !Number.isNaN(bytesRate) || (zero && at(row, 'Total Length of Fwd Packets') === 0 && at(row, 'Total Length of Bwd Packets') === 0);
    const infOk = Number.isFinite(packetRate) || zero;
    return nanOk && infOk;
  },
  'V13 Fwd Header Length.1 is a copy': (row) => at(row, 'Fwd Header Length.1') === at(row, 'Fwd Header Length'),
};

/** Returns, per check, how many rows break it. */
export function countViolations(rows: FeatureRow[]): Record<string, number> {
  const violations: Record<string, number> = {};
  for (const [name, check] of Object.entries(ROW_CHECKS)) violations[name] = rows.filter((row) => !check(row)).length;
  return violations;
}

/** V11: share of rows whose forward side has 20-byte TCP headers and a 6-byte minimum payload (Ethernet padding). */
export function paddingShare(rows: FeatureRow[]): number {
  if (rows.length === 0) return 0;
  const padded = rows.filter((row) => at(row, 'min_seg_size_forward') === 20 && at(row, 'Fwd Packet Length Min') === 6).length;
  return padded / rows.length;
}
