import { readFileSync } from 'node:fs';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../src/flows/columns.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';

/** One row of a CICFlowMeter-4.0 `_Flow.csv` table, with its features in FEATURE_NAMES order. */
export interface Cic4Row {
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  protocol: number;
  /** Start time as printed, read as if it were UTC, in seconds; the file's time zone is unknown. */
  localStartSeconds: number;
  /** 78 values; `Fwd Header Length.1`, which 4.0 does not write, is copied from `Fwd Header Length`. */
  features: number[];
}

/**
 * Reads a CICFlowMeter-4.0 table: 7 identifier columns, 76 features (the 2017 order without the
 * repeated `Fwd Header Length`), then `Label`. Timestamps read `dd/MM/yyyy hh:mm:ss AM|PM`.
 */
export function readCic4Table(path: string): Cic4Row[] {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const duplicate = FEATURE_INDEX['Fwd Header Length.1'];
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const written = cells.slice(7, 7 + FEATURE_COUNT - 2).map(Number);
    const features = [Number(cells[4]), ...written.slice(0, duplicate - 1), written[FEATURE_INDEX['Fwd Header Length'] - 1], ...written.slice(duplicate - 1)];
    return {
      srcAddr: cells[1],
      srcPort: Number(cells[2]),
      dstAddr: cells[3],
      dstPort: Number(cells[4]),
      protocol: Number(cells[5]),
      localStartSeconds: parseTimestamp(cells[6]),
      features,
    };
  });
}

function parseTimestamp(text: string): number {
  const match = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(text.trim());
  if (!match) throw new Error(`unexpected CICFlowMeter timestamp '${text}'`);
  const [, day, month, year, hour, minute, second, half] = match;
  const hour24 = (Number(hour) % 12) + (half === 'PM' ? 12 : 0);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), hour24, Number(minute), Number(second)) / 1000;
}

function endpointsKey(a: string, aPort: number, b: string, bPort: number, protocol: number): string {
  const first = `${a}:${aPort}`;
  const second = `${b}:${bPort}`;
  return first < second ? `${first}|${second}|${protocol}` : `${second}|${first}|${protocol}`;
}

export interface MatchedPair {
  row: Cic4Row;
  record: FlowRecord;
}

/**
 * Pairs table rows with our records by unordered 5-tuple and start time. The table's time zone
 * is found as the most common whole-quarter-hour offset between candidate pairs; a pair then
 * needs a start within 1 s (the table prints whole seconds).
 */
export function matchRows(rows: Cic4Row[], records: FlowRecord[]): { pairs: MatchedPair[]; offsetSeconds: number } {
  const byKey = new Map<string, FlowRecord[]>();
  for (const record of records) {
    const key = endpointsKey(record.srcAddr, record.srcPort, record.dstAddr, record.dstPort, record.protocol);
    const list = byKey.get(key) ?? [];
    list.push(record);
    byKey.set(key, list);
  }
  const rowKey = (row: Cic4Row) => endpointsKey(row.srcAddr, row.srcPort, row.dstAddr, row.dstPort, row.protocol);

  const offsets = new Map<number, number>();
  for (const row of rows) {
    for (const record of byKey.get(rowKey(row)) ?? []) {
      const offset = Math.round((Math.floor(record.startUs / 1e6) - row.localStartSeconds) / 900) * 900;
      offsets.set(offset, (offsets.get(offset) ?? 0) + 1);
    }
  }
  const offsetSeconds = [...offsets.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 0;

  const used = new Set<FlowRecord>();
  const pairs: MatchedPair[] = [];
  for (const row of rows) {
    let best: FlowRecord | undefined;
    let bestGap = Infinity;
    for (const record of byKey.get(rowKey(row)) ?? []) {
      if (used.has(record)) continue;
      const gap = Math.abs(Math.floor(record.startUs / 1e6) - (row.localStartSeconds + offsetSeconds));
      const durationGap = Math.abs(record.features[1] - row.features[1]);
      const score = gap * 1e9 + durationGap;
      if (gap <= 1 && score < bestGap) {
        best = record;
        bestGap = score;
      }
    }
    if (best) {
      used.add(best);
      pairs.push({ row, record: best });
    }
  }
  return { pairs, offsetSeconds };
}

/** Agreement within 1e-6 relative, or 1 µs for time columns (absolute 1 covers both for integers). */
export function agrees(ours: number, theirs: number): boolean {
  if (Number.isNaN(ours) && Number.isNaN(theirs)) return true;
  if (ours === theirs) return true;
  return Math.abs(ours - theirs) <= Math.max(1e-6 * Math.max(Math.abs(ours), Math.abs(theirs)), 1e-9);
}
