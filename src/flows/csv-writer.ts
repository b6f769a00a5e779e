import { FEATURE_COUNT, GENERATED_LABELLED_FLOWS_HEADERS } from './columns.ts';
import type { FlowRecord } from './flow-record.ts';
import { ChunkedWriter, type FlowSink } from './flow-sink.ts';
import { formatFeature, formatTimestampUs } from './record-format.ts';

export interface FlowRecordWriter {
  write(record: FlowRecord): void;
  /** Writes what is buffered and closes the sink. */
  close(): void;
  readonly recordsWritten: number;
}

export interface WriterOptions {
  /** Label of each record; the `Label` column (CSV) or `label` field (JSON lines) is empty without it. */
  label?: (record: FlowRecord) => string;
}

/**
 * Writes records as a CIC-IDS2017 GeneratedLabelledFlows CSV: the 85 headers exactly as the
 * released files spell them (leading spaces and the repeated `Fwd Header Length` included), one
 * row per record in the order written. `Timestamp` is the flow start in ISO 8601 UTC with µs.
 */
export function createCsvWriter(sink: FlowSink, options: WriterOptions = {}): FlowRecordWriter {
  const out = new ChunkedWriter(sink);
  out.writeLine(GENERATED_LABELLED_FLOWS_HEADERS.join(','));
  let written = 0;
  const cells: string[] = new Array(GENERATED_LABELLED_FLOWS_HEADERS.length);
  return {
    write(record: FlowRecord): void {
      cells[0] = record.flowId;
      cells[1] = record.srcAddr;
      cells[2] = String(record.srcPort);
      cells[3] = record.dstAddr;
      cells[4] = String(record.dstPort);
      cells[5] = String(record.protocol);
      cells[6] = formatTimestampUs(record.startUs);
      // Feature 0 (Destination Port) is already an identifier column.
      const features = record.features;
      for (let index = 1; index < FEATURE_COUNT; index++) cells[6 + index] = formatFeature(features[index]);
      cells[6 + FEATURE_COUNT] = options.label ? escapeCsv(options.label(record)) : '';
      out.writeLine(cells.join(','));
      written++;
    },
    close: () => out.close(),
    get recordsWritten() {
      return written;
    },
  };
}

function escapeCsv(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
