import type { DecodedPacket } from './packet.ts';

/**
 * Per-packet consumer that runs inside the live-capture process, next to libpcap. The default
 * consumer ships decoded packets to the parent in batches. The gateway can load its flow meter
 * here instead and ship finished flows, so that per-packet work stays in one process.
 *
 * A consumer module exports `createCaptureConsumer(options)`, which returns (or resolves to)
 * this interface; `options` is the JSON value given to the live source.
 */
export interface CapturePacketConsumer {
  /** Handles one decoded packet (the object is reused); return true to flush right away. */
  onPacket(packet: DecodedPacket): boolean | void;
  /**
   * Returns what to send to the parent now, or undefined when there is nothing. Called on every
   * flush tick, after onPacket returned true, and once with `final` true when capture stops.
   */
  flush(final: boolean): CaptureConsumerMessage | undefined;
}

export interface CaptureConsumerMessage {
  /** Any value the structured-clone IPC serialization accepts (ArrayBuffers and typed arrays included). */
  payload: unknown;
}

export type CaptureConsumerFactory = (options: unknown) => CapturePacketConsumer | Promise<CapturePacketConsumer>;
