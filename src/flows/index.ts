/**
 * The flow meter: bidirectional flows with CICFlowMeter's 78 features in two modes ('cic2017'
 * reproduces the CIC-IDS2017 CSVs, 'corrected' fixes their bugs), a bounded flow table, and CSV
 * and JSON-lines writers.
 */
export { createFlowMeter, type FlowMeter, type FlowMeterStats } from './flow-meter.ts';
export {
  FlowMeterOptionsSchema,
  resolveFlowMeterOptions,
  type Cic2017FlagOrder,
  type FlowMeterOptions,
  type ResolvedFlowMeterOptions,
} from './options.ts';
export type { ExportReason, FlowMeterMode, FlowRecord } from './flow-record.ts';
export * from './columns.ts';
export { createCsvWriter, type FlowRecordWriter, type WriterOptions } from './csv-writer.ts';
export { createJsonLinesWriter } from './jsonl-writer.ts';
export { openFileSink, memorySink, type FlowSink } from './flow-sink.ts';
export { formatFeature, formatTimestampUs } from './record-format.ts';
export { FlowExpiryTimer, type FlowExpiryTimerOptions } from './flow-expiry-timer.ts';
export { extractFile, type ExtractFileOptions, type ExtractFileResult } from './extract-file.ts';
export { createCaptureConsumer, type FlowBatchPayload, type FlowConsumerOptions } from './capture-consumer.ts';
