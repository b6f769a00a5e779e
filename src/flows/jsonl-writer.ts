import { FEATURE_NAMES } from './columns.ts';
import type { FlowRecord } from './flow-record.ts';
import type { FlowRecordWriter, WriterOptions } from './csv-writer.ts';
import { ChunkedWriter, type FlowSink } from './flow-sink.ts';
import { formatFeature, formatTimestampUs } from './record-format.ts';

/**
 * Writes one JSON object per line with every FlowRecord field (export reason, times, 5-tuple,
 * handshake, ICMP type/code) and the 78 features keyed by name. JSON has no NaN or Infinity, so
 * those cic2017 values are written as the strings "NaN", "Infinity" and "-Infinity".
 */
export function createJsonLinesWriter(sink: FlowSink, options: WriterOptions = {}): FlowRecordWriter {
  const out = new ChunkedWriter(sink);
  let written = 0;
  return {
    write(record: FlowRecord): void {
      const features: Record<string, number | string> = {};
      FEATURE_NAMES.forEach((name, index) => {
        const value = record.features[index];
        features[name] = Number.isFinite(value) ? value : formatFeature(value);
      });
      const line = {
        id: record.id,
        flowId: record.flowId,
        mode: record.mode,
        ipVersion: record.ipVersion,
        srcAddr: record.srcAddr,
        srcPort: record.srcPort,
        dstAddr: record.dstAddr,
        dstPort: record.dstPort,
        protocol: record.protocol,
        startUs: record.startUs,
        endUs: record.endUs,
        start: formatTimestampUs(record.startUs),
        exportReason: record.exportReason,
        handshakeSeen: record.handshakeSeen,
        icmpType: record.icmpType,
        icmpCode: record.icmpCode,
        label: options.label ? options.label(record) : '',
        features,
      };
      out.writeLine(JSON.stringify(line));
      written++;
    },
    close: () => out.close(),
    get recordsWritten() {
      return written;
    },
  };
}
