import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { readCaptureFile } from '../capture/index.ts';
import { createFlowMeter, type FlowMeterOptions } from '../flows/index.ts';
import type { FlowMeterMode, FlowRecord } from '../flows/flow-record.ts';
import { Policy, type DecisionRule, type PolicyDecision, type PolicyEvent, type PolicyEvidence } from '../enforce/policy.ts';
import type { PolicyOptionsInput } from '../enforce/policy-options.ts';
import { sourceGroupOf } from '../enforce/policy-address.ts';
import type { Logger } from '../log.ts';
import { ModelError } from '../errors/model.ts';
import { candidateCardPaths, validateModelCard } from './model-card.ts';
import { Scorer } from './scorer.ts';
import type { ScorerOptionsInput } from './scorer-options.ts';
import type { Verdict } from './verdict.ts';

/** Version of the replay JSON document; it changes only when a field changes meaning or goes. */
export const REPLAY_FORMAT_VERSION = 1;

export interface ReplayOptions {
  scorer: ScorerOptionsInput;
  policy?: PolicyOptionsInput;
  /** Flow meter options; `mode` defaults to the model card's flowMeterMode. */
  flows?: FlowMeterOptions;
  logger?: Logger;
}

/** Outcome of the replay for one source group. */
export interface ReplaySource {
  /** IPv4 address, or the IPv6 prefix the policy groups by. */
  address: string;
  flows: number;
  /** Flows that got a verdict (the others were dropped as non-finite). */
  scoredFlows: number;
  attackFlows: number;
  attackRatio: number;
  decision: 'block' | 'refused' | 'none';
  /** The first decision's reason: 'dry-run', 'guard:…', the protected range. */
  reason: string | null;
  rule: DecisionRule | null;
  /** Flow time from the source's first packet to its first decision, ms. */
  decisionAfterMs: number | null;
  decisions: number;
  durationMs: number | null;
  evidence: PolicyEvidence | null;
}

export interface ReplayResult {
  formatVersion: 1;
  file: string;
  modelVersion: string;
  flowMeterMode: FlowMeterMode;
  sources: ReplaySource[];
  events: PolicyEvent[];
  /** Problems the capture reader found in the file (cut or corrupt records). Empty when none. */
  warnings: string[];
  totals: {
    packets: number;
    flows: number;
    verdicts: number;
    attackFlows: number;
    sources: number;
    blockedSources: number;
    refusedSources: number;
    nonFiniteWindows: number;
    droppedWindows: number;
    spoofedFloodEvents: number;
    captureSpanMs: number;
    wallTimeMs: number;
  };
}

interface SourceTally {
  flows: number;
  scoredFlows: number;
  attackFlows: number;
  firstPacketUs: number;
  first: PolicyDecision | undefined;
  decisions: number;
}

/** Chunk size of the capture reader; small enough that one chunk's flows fit the scoring queue. */
const REPLAY_CHUNK_BYTES = 256 * 1024;

/**
 * Runs a capture file through the flow meter, the scorer and the policy at full speed, with
 * enforcement in dry-run, and returns what was decided per source. Time is the capture's time,
 * so decision delays are those the live gateway would have had with the same flow settings.
 */
export async function replayCapture(path: string, options: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const flowMeterMode = options.flows?.mode ?? (await cardModeOf(options.scorer));
  // Replay has no deadline, so it waits for the worker instead of dropping windows.
  const scorer = new Scorer({ maxQueuedWindows: 65_536, ...options.scorer }, { flowMeterMode, logger: options.logger });
  const policy = new Policy({ ...options.policy, dryRun: true }, { logger: options.logger });
  const tallies = new Map<string, SourceTally>();
  const events: PolicyEvent[] = [];
  const groupOf = (address: string) => sourceGroupOf(address, policy.options.ipv6PrefixLength) ?? address;

  scorer.on('verdicts', (verdicts: Verdict[]) => {
    for (const verdict of verdicts) {
      const tally = tallies.get(groupOf(verdict.srcAddr))!;
      tally.scoredFlows++;
      if (verdict.label === 'attack') tally.attackFlows++;
      const result = policy.observe(verdict);
      for (const decision of result.decisions) {
        const owner = tallies.get(decision.source) ?? tally;
        owner.decisions++;
        owner.first ??= decision;
      }
      events.push(...result.events);
    }
  });

  await scorer.start();
  let flows = 0;
  let packets = 0;
  let firstUs = Number.POSITIVE_INFINITY;
  let lastUs = 0;
  const exported: FlowRecord[] = [];
  const meter = createFlowMeter({ ...options.flows, mode: flowMeterMode }, (record) => exported.push(record));
  const feed = async (): Promise<void> => {
    for (const record of exported) {
      flows++;
      const key = groupOf(record.srcAddr);
      let tally = tallies.get(key);
      if (tally === undefined) {
        tally = { flows: 0, scoredFlows: 0, attackFlows: 0, firstPacketUs: record.startUs, first: undefined, decisions: 0 };
        tallies.set(key, tally);
      }
      tally.flows++;
      if (record.startUs < tally.firstPacketUs) tally.firstPacketUs = record.startUs;
      if (scorer.queuedWindows >= scorer.options.maxQueuedWindows - 1) await scorer.waitForQueueBelow();
      scorer.submit(record);
    }
    exported.length = 0;
  };
  let warnings: string[] = [];
  try {
    const captureStats = await readCaptureFile(
      path,
      (packet) => {
        packets++;
        if (packet.timestampUs < firstUs) firstUs = packet.timestampUs;
        if (packet.timestampUs > lastUs) lastUs = packet.timestampUs;
        meter.ingest(packet);
      },
      { chunkBytes: REPLAY_CHUNK_BYTES, afterChunk: feed },
    );
    warnings = captureStats.warnings;
    meter.flush();
    await feed();
    await scorer.drain();
  } finally {
    await scorer.close();
  }

  const stats = scorer.stats();
  const sources = [...tallies.entries()].map(([address, tally]) => toReplaySource(address, tally));
  sources.sort((a, b) => b.flows - a.flows || a.address.localeCompare(b.address));
  return {
    formatVersion: REPLAY_FORMAT_VERSION,
    file: path,
    modelVersion: stats.modelVersion,
    flowMeterMode,
    sources,
    events,
    warnings,
    totals: {
      packets,
      flows,
      verdicts: stats.scoredWindows,
      attackFlows: sources.reduce((sum, s) => sum + s.attackFlows, 0),
      sources: sources.length,
      blockedSources: sources.filter((s) => s.decision === 'block').length,
      refusedSources: sources.filter((s) => s.decision === 'refused').length,
      nonFiniteWindows: stats.nonFiniteWindows,
      droppedWindows: stats.droppedWindows,
      spoofedFloodEvents: events.filter((e) => e.type === 'spoofed-flood').length,
      captureSpanMs: packets === 0 ? 0 : (lastUs - firstUs) / 1000,
      wallTimeMs: Math.round(performance.now() - started),
    },
  };
}

function toReplaySource(address: string, tally: SourceTally): ReplaySource {
  const first = tally.first;
  let decision: ReplaySource['decision'] = 'none';
  if (first !== undefined) decision = first.outcome === 'refused' ? 'refused' : 'block';
  return {
    address,
    flows: tally.flows,
    scoredFlows: tally.scoredFlows,
    attackFlows: tally.attackFlows,
    attackRatio: tally.scoredFlows === 0 ? 0 : tally.attackFlows / tally.scoredFlows,
    decision,
    reason: first?.reason ?? null,
    rule: first?.rule ?? null,
    decisionAfterMs: first === undefined ? null : (first.decidedAtUs - tally.firstPacketUs) / 1000,
    decisions: tally.decisions,
    durationMs: first?.request.durationMs ?? null,
    evidence: first?.request.evidence ?? null,
  };
}

/** Flow-meter mode the model was trained on, read from its card. */
async function cardModeOf(scorer: ScorerOptionsInput): Promise<FlowMeterMode> {
  const path = scorer.cardPath ?? candidateCardPaths(scorer.modelPath).find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new ModelError('CARD_NOT_FOUND', `no model card found for '${scorer.modelPath}': looked for ${candidateCardPaths(scorer.modelPath).join(', ')}. Put the card beside the model.`);
  }
  return validateModelCard(JSON.parse(await readFile(path, 'utf8')), path).flowMeterMode;
}
