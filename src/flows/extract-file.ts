import { readCaptureFile, type CaptureFileStats } from '../capture/index.ts';
import { createFlowMeter, type FlowMeterStats } from './flow-meter.ts';
import type { FlowRecord } from './flow-record.ts';
import type { FlowMeterOptions } from './options.ts';

export interface ExtractFileOptions extends FlowMeterOptions {
  /** Stops reading at the next chunk; the flows read so far are still flushed. */
  signal?: AbortSignal;
}

export interface ExtractFileResult {
  capture: CaptureFileStats;
  meter: FlowMeterStats;
}

/**
 * Reads a pcap or pcapng file through a flow meter and hands every exported record to
 * `onRecord`, in export order; flows still open at the end of the file are flushed with reason
 * 'end-of-input'. Time follows the packet timestamps.
 */
export async function extractFile(path: string, options: ExtractFileOptions, onRecord: (record: FlowRecord) => void): Promise<ExtractFileResult> {
  const { signal, ...meterOptions } = options;
  const meter = createFlowMeter(meterOptions, onRecord);
  const capture = await readCaptureFile(path, (packet) => meter.ingest(packet), { signal });
  meter.flush();
  return { capture, meter: meter.stats };
}
