/**
 * Decode-only throughput: reads a generated SYN-flood pcap from disk (page cache) through
 * `readCaptureFile` with a handler that only sums a field, so the figure is file reading plus
 * decoding. Also runs the mutation test at benchmark size (a million mutated packets).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../src/capture/index.ts';
import { writeHttpFlowsPcap, writeSynFloodPcap } from '../test/helpers/synthetic-pcap.ts';
import { runMutations } from '../test/helpers/packet-mutation.ts';
import { hasSharedData, listCaptures } from '../test/helpers/shared-data.ts';
import type { BenchOptions } from './run.ts';

export const name = 'capture';

const SYN_FLOOD_PACKETS = 400_000;
const ROUNDS = 5;

export async function run(options: BenchOptions): Promise<Record<string, number | string | boolean | null>> {
  const dir = await mkdtemp(join(tmpdir(), 'flowguard-capture-bench-'));
  try {
    const synFlood = join(dir, 'syn-flood.pcap');
    const httpFlows = join(dir, 'http-flows.pcap');
    writeSynFloodPcap(synFlood, { packets: SYN_FLOOD_PACKETS });
    const httpPackets = writeHttpFlowsPcap(httpFlows, { flows: 2_000, exchangesPerFlow: 30 });

    const syn = await measureDecodeRate(synFlood, options);
    const http = await measureDecodeRate(httpFlows, options);
    options.log(`  SYN flood: best of ${ROUNDS} rounds over ${SYN_FLOOD_PACKETS} packets`);

    const figures: Record<string, number | string | boolean | null> = {
      synFloodPackets: SYN_FLOOD_PACKETS,
      synFloodDecodePacketsPerSecond: syn.best,
      synFloodDecodeMedianPacketsPerSecond: syn.median,
      httpFlowsPackets: httpPackets,
      httpFlowsDecodePacketsPerSecond: http.best,
    };

    if (hasSharedData) {
      const captures = [...(await listCaptures('attacks')), ...(await listCaptures('benign'))];
      const started = performance.now();
      const result = await runMutations(captures, { mutations: 1_000_000, seed: 7 });
      figures.mutationPackets = result.mutations;
      figures.mutationDecoded = result.decoded;
      figures.mutationSkipped = result.skipped;
      figures.mutationExceptions = result.exceptions;
      figures.mutationInvariantViolations = result.invariantViolations;
      figures.mutationSeconds = (performance.now() - started) / 1000;
    } else {
      options.log('  mutation run skipped: shared captures missing');
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureDecodeRate(path: string, options: BenchOptions): Promise<{ best: number; median: number }> {
  let checksum = 0;
  const onPacket = (packet: { srcPort: number }): void => {
    checksum += packet.srcPort;
  };
  // One warm-up round so the decoder is optimised before timing.
  await readCaptureFile(path, onPacket);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    const stats = await readCaptureFile(path, onPacket);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(Math.round(stats.packetsRead / seconds));
  }
  rates.sort((a, b) => a - b);
  if (checksum === -1) options.log('unreachable');
  return { best: rates[rates.length - 1], median: rates[Math.floor(rates.length / 2)] };
}
