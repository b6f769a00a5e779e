import { Component } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import { flowPacketCount, flowPayloadBytes } from '../flows/flow-totals.ts';
import type { Scorer } from '../infer/scorer.ts';
import type { Verdict } from '../infer/verdict.ts';
import type { Policy, PolicyDecision, PolicyEvent } from '../enforce/policy.ts';
import type { MemoryGatewayServices } from '../api/memory-services.ts';
import type { EnforcedGatewayServices } from './gateway-services.ts';

export interface DetectionCounters {
  flows: number;
  submitted: number;
  droppedWindows: number;
  nonFiniteWindows: number;
  verdicts: number;
  attackVerdicts: number;
  blocks: number;
  wouldBlocks: number;
  refused: number;
  blockFailures: number;
  spoofedFloodEvents: number;
}

/**
 * Flows → scorer → policy → enforcement. Flows arrive in batches from the capture side; verdicts
 * come back from the scorer's worker; each block decision goes to the enforcer's single writer
 * queue. Only the policy's own state is touched synchronously, so a slow nft call never stalls
 * scoring.
 */
export class DetectionPipeline extends Component {
  scorer: Scorer;
  policy: Policy;
  readonly #memory: MemoryGatewayServices;
  readonly #services: EnforcedGatewayServices;
  readonly #logger: Logger;
  readonly counters: DetectionCounters = {
    flows: 0,
    submitted: 0,
    droppedWindows: 0,
    nonFiniteWindows: 0,
    verdicts: 0,
    attackVerdicts: 0,
    blocks: 0,
    wouldBlocks: 0,
    refused: 0,
    blockFailures: 0,
    spoofedFloodEvents: 0,
  };
  #accepting = false;
  readonly #onVerdicts = (verdicts: Verdict[]) => this.#handleVerdicts(verdicts);

  constructor(options: { scorer: Scorer; policy: Policy; memory: MemoryGatewayServices; services: EnforcedGatewayServices; logger: Logger }) {
    super('detection');
    this.scorer = options.scorer;
    this.policy = options.policy;
    this.#memory = options.memory;
    this.#services = options.services;
    this.#logger = options.logger.child({ component: 'detection' });
  }

  /** Hands a batch of exported flows to scoring; called by the capture side. */
  acceptFlows(records: readonly FlowRecord[]): void {
    if (!this.#accepting) return;
    for (const record of records) {
      this.counters.flows++;
      this.#memory.recordFlow({
        flowRecordId: record.id,
        flowId: record.flowId,
        srcAddr: record.srcAddr,
        srcPort: record.srcPort,
        dstAddr: record.dstAddr,
        dstPort: record.dstPort,
        protocol: record.protocol,
        startUs: record.startUs,
        endUs: record.endUs,
        exportReason: record.exportReason,
        packets: flowPacketCount(record),
        bytes: flowPayloadBytes(record),
      });
      const result = this.scorer.submit(record);
      if (result === 'queued') this.counters.submitted++;
      else if (result === 'dropped') this.counters.droppedWindows++;
      else if (result === 'non-finite') this.counters.nonFiniteWindows++;
    }
    this.#memory.setQueueDepth('scorer', this.scorer.stats().queuedWindows);
  }

  /** Swaps in a new scorer or policy (config reload); queued windows of the old scorer drain first. */
  attachScorer(scorer: Scorer): void {
    this.scorer.off('verdicts', this.#onVerdicts);
    this.scorer = scorer;
    this.scorer.on('verdicts', this.#onVerdicts);
  }

  protected async onStart(): Promise<void> {
    this.scorer.on('verdicts', this.#onVerdicts);
    this.#accepting = true;
  }

  protected async onClose(): Promise<void> {
    this.#accepting = false;
    await this.scorer.drain();
    this.scorer.off('verdicts', this.#onVerdicts);
  }

  protected async onDestroy(): Promise<void> {
    this.#accepting = false;
    this.scorer.off('verdicts', this.#onVerdicts);
  }

  #handleVerdicts(verdicts: Verdict[]): void {
    for (const verdict of verdicts) {
      this.counters.verdicts++;
      if (verdict.label === 'attack') this.counters.attackVerdicts++;
      this.#memory.recordVerdict(verdict);
      const result = this.policy.observe(verdict);
      for (const decision of result.decisions) this.#apply(decision);
      for (const event of result.events) this.#report(event);
    }
  }

  #apply(decision: PolicyDecision): void {
    const { request } = decision;
    if (decision.outcome === 'block') {
      this.counters.blocks++;
      this.#logger.info(
        { target: request.target, rule: decision.rule, durationMs: request.durationMs, evidence: request.evidence, decisionId: request.decisionId },
        'blocking source',
      );
      this.#services.blockAutomatically(request).catch((err: Error) => {
        this.counters.blockFailures++;
        this.#logger.error({ err, target: request.target, decisionId: request.decisionId }, 'block decision not applied');
      });
      return;
    }
    if (decision.outcome === 'would-block') this.counters.wouldBlocks++;
    else this.counters.refused++;
    const verb = decision.outcome === 'would-block' ? 'would block' : 'refused to block';
    this.#logger.info({ target: request.target, reason: decision.reason, decisionId: request.decisionId, evidence: request.evidence }, `${verb} source`);
    this.#services.recordDecision({
      decisionId: request.decisionId,
      action: 'skip',
      target: request.target,
      origin: request.origin,
      reason: `${verb} (${decision.reason}): ${request.reason}`,
      atMs: Date.now(),
      actor: 'policy',
      durationMs: request.durationMs,
      ...(request.escalationLevel === undefined ? {} : { escalationLevel: request.escalationLevel }),
      evidence: request.evidence,
    });
  }

  #report(event: PolicyEvent): void {
    switch (event.type) {
      case 'guard-tripped':
        this.#logger.warn({ breach: event.breach, mode: event.mode }, 'block guard tripped');
        this.#memory.tripGuard(event.breach.guard, `guard ${event.breach.guard} tripped (${event.breach.value} > ${event.breach.limit}); enforcement is ${event.mode === 'dry-run' ? 'in dry-run until an operator resets it' : 'refusing the excess'}`);
        this.#memory.setHealthProblem('guard', `block guard ${event.breach.guard} tripped; decisions are recorded as would-block until an operator resets it`);
        break;
      case 'guards-reset':
        this.#memory.setHealthProblem('guard', undefined);
        break;
      case 'spoofed-flood': {
        this.counters.spoofedFloodEvents++;
        const { type: _type, ...report } = event;
        this.#logger.warn({ report }, 'spoofed-source flood detected; sources are not blocked one by one');
        this.#memory.tripGuard('spoofed-flood', `spoofed-source flood: ${JSON.stringify(report)}`);
        this.#memory.setHealthProblem('spoofed-flood', 'a spoofed-source flood is running; per-source blocking cannot stop it');
        break;
      }
      case 'spoofed-flood-ended':
        this.#memory.setHealthProblem('spoofed-flood', undefined);
        break;
    }
  }
}
