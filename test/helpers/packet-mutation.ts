import { createDecodedPacket, decodeFrame, readCaptureFile, SKIP_REASONS } from '../../src/capture/index.ts';
import { xorshift32 } from './synthetic-pcap.ts';

/** A raw frame copied out of a capture file. */
export interface CorpusFrame {
  linkType: number;
  bytes: Uint8Array;
  wireLength: number;
}

export interface MutationResult {
  mutations: number;
  decoded: number;
  skipped: number;
  /** Exceptions thrown by the decoder: must be 0. */
  exceptions: number;
  /** Decoded packets whose fields break an invariant (negative payload, IP larger than the frame, …): must be 0. */
  invariantViolations: number;
  /** First exception or violation seen, for the failure message. */
  firstProblem: string | undefined;
}

/** Copies up to `maxFramesPerFile` frames out of each capture. */
export async function loadFrames(paths: string[], maxFramesPerFile = 2_000): Promise<CorpusFrame[]> {
  const frames: CorpusFrame[] = [];
  for (const path of paths) {
    let taken = 0;
    await readCaptureFile(path, () => undefined, {
      onFrame: (linkType, bytes, offset, capturedLength, wireLength) => {
        if (taken >= maxFramesPerFile) return;
        taken++;
        frames.push({ linkType, bytes: bytes.slice(offset, offset + capturedLength), wireLength });
      },
    });
  }
  return frames;
}

/**
 * Decodes `mutations` randomly damaged copies of real frames: bit flips, truncations, and
 * random values written into length fields (IPv4 IHL and total length, IPv6 payload length,
 * extension-header lengths, TCP data offset). Every result must be "decoded" or a known skip
 * code, with no exception and no broken invariant.
 */
export async function runMutations(paths: string[], options: { mutations: number; seed: number }): Promise<MutationResult> {
  const frames = await loadFrames(paths);
  if (frames.length === 0) throw new Error(`no frames could be read from ${paths.length} captures`);
  const random = xorshift32(options.seed);
  const reference = createDecodedPacket();
  const packet = createDecodedPacket();
  const scratch = new Uint8Array(Math.max(...frames.map((frame) => frame.bytes.length)));
  const result: MutationResult = { mutations: 0, decoded: 0, skipped: 0, exceptions: 0, invariantViolations: 0, firstProblem: undefined };

  for (let i = 0; i < options.mutations; i++) {
    const frame = frames[random() % frames.length];
    let length = frame.bytes.length;
    scratch.set(frame.bytes);
    let wireLength = frame.wireLength;
    decodeFrame(frame.linkType, frame.bytes, 0, length, wireLength, 0, reference);

    switch (random() % 4) {
      case 0: {
        const flips = 1 + (random() % 8);
        for (let f = 0; f < flips && length > 0; f++) scratch[random() % length] ^= 1 << (random() % 8);
        break;
      }
      case 1:
        length = random() % (length + 1);
        if (random() % 2 === 0) wireLength = length;
        break;
      case 2:
        corruptLengthField(scratch, length, reference, random);
        break;
      default:
        corruptLengthField(scratch, length, reference, random);
        length = random() % (length + 1);
        wireLength = length + (random() % 3 === 0 ? random() % 70_000 : 0);
        break;
    }

    result.mutations++;
    let code: number;
    try {
      code = decodeFrame(frame.linkType, scratch, 0, length, wireLength, 0, packet);
    } catch (err) {
      result.exceptions++;
      result.firstProblem ??= `decoder threw ${(err as Error).stack ?? String(err)}`;
      continue;
    }
    if (code === 0) {
      result.decoded++;
      const problem = checkInvariants(packet);
      if (problem) {
        result.invariantViolations++;
        result.firstProblem ??= problem;
      }
    } else if (code >= 1 && code <= SKIP_REASONS.length) {
      result.skipped++;
    } else {
      result.invariantViolations++;
      result.firstProblem ??= `decoder returned unknown code ${code}`;
    }
  }
  return result;
}

function corruptLengthField(bytes: Uint8Array, length: number, reference: ReturnType<typeof createDecodedPacket>, random: () => number): void {
  const ip = reference.linkHeaderLength;
  if (reference.ipVersion === 0 || ip >= length) {
    if (length > 0) bytes[random() % length] = random() & 0xff;
    return;
  }
  const targets: number[] = [];
  if (reference.ipVersion === 4) targets.push(ip, ip + 2, ip + 3);
  else targets.push(ip + 4, ip + 5, ip + 41, ip + 6);
  const l4 = ip + reference.ipHeaderLength;
  if (reference.protocol === 6) targets.push(l4 + 12);
  if (reference.protocol === 17) targets.push(l4 + 4, l4 + 5);
  const at = targets[random() % targets.length];
  if (at < length) bytes[at] = random() & 0xff;
}

function checkInvariants(packet: ReturnType<typeof createDecodedPacket>): string | undefined {
  if (packet.payloadLength < 0) return `negative payloadLength ${packet.payloadLength}`;
  if (packet.ipVersion !== 0) {
    const ipBytes = packet.wireLength - packet.linkHeaderLength;
    if (packet.ipTotalLength > ipBytes) return `ipTotalLength ${packet.ipTotalLength} exceeds the ${ipBytes} IP bytes of the frame`;
    if (packet.ipHeaderLength + packet.l4HeaderLength > packet.ipTotalLength) {
      return `headers (${packet.ipHeaderLength} + ${packet.l4HeaderLength}) exceed ipTotalLength ${packet.ipTotalLength}`;
    }
    if (packet.fragmentOffset > 0 && packet.l4Decoded) return 'a later fragment has a decoded transport header';
  }
  if (packet.linkHeaderLength > packet.capturedLength) return `linkHeaderLength ${packet.linkHeaderLength} exceeds capturedLength ${packet.capturedLength}`;
  return undefined;
}
