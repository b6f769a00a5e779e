import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/flows/columns.ts';
import { computeFeatures, computeSinglePacketFeatures } from '../../src/flows/features.ts';
import { addFirstPacket, FlowStatsSlab } from '../../src/flows/flow-stats.ts';

describe('one-packet fast path', () => {
  it('equals the general computation', () => {
    const slab = new FlowStatsSlab(4);
    const record = slab.allocate();
    let seed = 12345;
    const random = (limit: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % limit;
    };
    const mismatches: string[] = [];
    for (let round = 0; round < 2_000; round++) {
      const packet = {
        destinationPort: random(65_536),
        payloadBytes: random(3) === 0 ? 0 : random(1_500),
        headerBytes: [0, 8, 20, 32, 60][random(5)],
        tcpFlags: random(256),
        window: random(65_536),
        forward: random(2) === 0,
      };
      addFirstPacket(slab, record, { timestampUs: 1_000 + round, ...packet }, false);
      const general = computeFeatures(slab, record, { cic2017: false, flagOrder: 'java8', destinationPort: packet.destinationPort, firstPayloadBytes: packet.payloadBytes, firstTcpFlags: packet.tcpFlags });
      const fast = computeSinglePacketFeatures(packet);
      FEATURE_NAMES.forEach((name, index) => {
        if (!Object.is(general[index], fast[index])) mismatches.push(`${JSON.stringify(packet)} ${name}: ${general[index]} vs ${fast[index]}`);
      });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
