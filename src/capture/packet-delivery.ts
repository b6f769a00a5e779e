import { decodeFrame } from './decode.ts';
import { CaptureCounters } from './capture-counters.ts';
import { createDecodedPacket, type DecodedPacket, type PacketHandler } from './packet.ts';
import { skipReasonName, type SkipReason } from './skip-reasons.ts';

/** Receives a skipped frame: the reason and the packet with the fields read before the skip. */
export type SkipHandler = (reason: SkipReason, packet: DecodedPacket) => void;

/** Receives each raw frame before it is decoded; the bytes are valid only during the call. */
export type FrameHandler = (linkType: number, bytes: Uint8Array, offset: number, capturedLength: number, wireLength: number) => void;

/**
 * Decodes frames into one reused packet, counts them and hands decoded ones to the handler.
 * Format readers and the live worker share it so counting is the same everywhere.
 */
export class PacketDelivery {
  readonly packet: DecodedPacket = createDecodedPacket();
  readonly counters = new CaptureCounters();
  readonly #onPacket: PacketHandler;
  readonly #onSkip: SkipHandler | undefined;
  readonly #onFrame: FrameHandler | undefined;

  constructor(onPacket: PacketHandler, onSkip?: SkipHandler, onFrame?: FrameHandler) {
    this.#onPacket = onPacket;
    this.#onSkip = onSkip;
    this.#onFrame = onFrame;
  }

  deliver(
    linkType: number,
    bytes: Uint8Array,
    offset: number,
    capturedLength: number,
    wireLength: number,
    timestampUs: number,
    timestampExtraNs: number,
    interfaceId: number,
  ): void {
    const packet = this.packet;
    if (this.#onFrame) this.#onFrame(linkType, bytes, offset, capturedLength, wireLength);
    const result = decodeFrame(linkType, bytes, offset, capturedLength, wireLength, timestampUs, packet);
    packet.timestampExtraNs = timestampExtraNs;
    packet.interfaceId = interfaceId;
    this.counters.count(result, packet);
    if (result === 0) this.#onPacket(packet);
    else if (this.#onSkip) this.#onSkip(skipReasonName(result), packet);
  }
}
