import { createFlowMeter, type FlowMeter } from '../../src/flows/flow-meter.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import type { FlowMeterOptions } from '../../src/flows/options.ts';
import { feed, type PacketSpec } from './synthetic-packets.ts';

/** Runs a packet sequence through a new meter, flushes it and returns the records in export order. */
export function runMeter(specs: PacketSpec[], options: FlowMeterOptions = {}): { records: FlowRecord[]; meter: FlowMeter } {
  const records: FlowRecord[] = [];
  const meter = createFlowMeter(options, (record) => records.push(record));
  feed(specs, (packet) => meter.ingest(packet));
  meter.flush();
  return { records, meter };
}
