import type { CaptureConsumerMessage, CapturePacketConsumer } from '../capture/capture-consumer.ts';
import type { DecodedPacket } from '../capture/packet.ts';
import { createFlowMeter } from './flow-meter.ts';
import type { FlowRecord } from './flow-record.ts';
import type { FlowMeterOptions } from './options.ts';

/** Records per message to the parent; more arrive in the next message. */
const RECORDS_PER_MESSAGE = 512;

/**
 * Capture-side consumer that runs the flow meter inside the live-capture process, so only
 * finished flows cross to the parent (`LivePacketSource` option `consumer`). Options are the
 * FlowMeterOptions. Each payload is an array of FlowRecord. Every flush tick also advances the
 * meter to the wall clock, which exports idle flows within about one tick.
 *
 * Overflow: records wait here until the next flush, which happens every tick and as soon as
 * RECORDS_PER_MESSAGE are pending; the live source bounds the messages in flight.
 */
export function createCaptureConsumer(options: unknown): CapturePacketConsumer {
  const pending: FlowRecord[] = [];
  const meter = createFlowMeter((options ?? {}) as FlowMeterOptions, (record) => pending.push(record));
  return {
    onPacket(packet: DecodedPacket): boolean {
      meter.ingest(packet);
      return pending.length >= RECORDS_PER_MESSAGE;
    },
    flush(final: boolean): CaptureConsumerMessage | undefined {
      meter.advanceTime(Date.now() * 1000);
      if (final) meter.flush();
      if (pending.length === 0) return undefined;
      return { payload: pending.splice(0, pending.length) };
    },
  };
}
