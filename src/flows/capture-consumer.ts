/**
 * Capture-side consumer that runs the flow meter inside the live-capture process, so per-packet
 * work never crosses a process boundary, and ships finished flows with packet totals to the
 * parent in batches. `LivePacketSource` loads it through its `consumer` option.
 */
import type { CapturePacketConsumer, CaptureConsumerMessage } from '../capture/capture-consumer.ts';
import type { DecodedPacket } from '../capture/packet.ts';
import { createFlowMeter, type FlowMeterStats } from './flow-meter.ts';
import type { FlowRecord } from './flow-record.ts';
import type { FlowMeterOptions } from './options.ts';

export interface FlowConsumerOptions {
  flows: FlowMeterOptions;
  /** Flows per message; a full batch is sent at once instead of waiting for the flush tick. */
  batchFlows?: number;
  /** Flows kept between two messages; beyond it new flows are dropped and counted. */
  maxPendingFlows?: number;
}

/** Contents of one message from the capture process. */
export interface FlowBatchPayload {
  flows: FlowRecord[];
  /** Packets and wire bytes seen since the previous message. */
  packets: number;
  bytes: number;
  meter: FlowMeterStats;
  /** Flows dropped because the gateway fell behind, since the capture started. */
  droppedFlows: number;
}

export function createCaptureConsumer(rawOptions: unknown): CapturePacketConsumer {
  const options = rawOptions as FlowConsumerOptions;
  const batchFlows = options.batchFlows ?? 512;
  const maxPendingFlows = options.maxPendingFlows ?? 65_536;
  let pending: FlowRecord[] = [];
  let packets = 0;
  let bytes = 0;
  let droppedFlows = 0;
  let lastPacketUs = 0;

  const meter = createFlowMeter(options.flows, (record) => {
    // A full batch is flushed at once because onPacket returns true. This bound is reached only
    // when the parent stops reading, and then new flows are dropped and counted.
    if (pending.length >= maxPendingFlows) {
      droppedFlows++;
      return;
    }
    // The meter's feature arrays are views into buffers shared by several records. Structured
    // clone would copy each whole buffer, so every record gets its own 78 values.
    pending.push({ ...record, features: record.features.slice() });
  });

  return {
    onPacket(packet: DecodedPacket): boolean {
      packets++;
      bytes += packet.wireLength;
      if (packet.timestampUs > lastPacketUs) lastPacketUs = packet.timestampUs;
      meter.ingest(packet);
      return pending.length >= batchFlows;
    },
    flush(final: boolean): CaptureConsumerMessage | undefined {
      if (final) {
        meter.flush();
      } else {
        // Live mode: wall-clock time also expires idle flows, so the last flow before silence
        // is exported within one flush tick of its idle timeout.
        meter.advanceTime(Math.max(lastPacketUs, Date.now() * 1000));
      }
      if (pending.length === 0 && packets === 0 && !final) return undefined;
      const payload: FlowBatchPayload = { flows: pending, packets, bytes, meter: meter.stats, droppedFlows };
      pending = [];
      packets = 0;
      bytes = 0;
      return { payload };
    },
  };
}
