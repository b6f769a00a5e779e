import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Verdict } from '../infer/verdict.ts';
import { parseOptions } from '../infer/parse-options.ts';
import { ModelError } from '../errors/model.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { BlockEvidence, BlockRequest } from './block.ts';
import { CidrList, parseAddress, sourceGroupOf, specialRangeOf, type ProtectedReason } from './policy-address.ts';
import { PolicyOptionsSchema, type PolicyOptions, type PolicyOptionsInput } from './policy-options.ts';
import { SourceWindow, type WindowSummary } from './policy-source-window.ts';
import { Escalation } from './policy-escalation.ts';
import { BlockGuards, type GuardBreach, type GuardName } from './policy-guards.ts';
import { SpoofedFloodDetector, type SpoofedFloodReport } from './policy-spoofing.ts';

export { PolicyOptionsSchema, type PolicyOptions, type PolicyOptionsInput } from './policy-options.ts';

/** 'block': enforce it. 'would-block': recorded only (dry-run or a tripped guard). 'refused': a protected address. */
export type DecisionOutcome = 'block' | 'would-block' | 'refused';

/** Rule that crossed its threshold. */
export type DecisionRule = 'flow-ratio' | 'packet-volume';

/** Evidence of a policy decision: the enforcement contract's fields plus the rule that fired. */
export interface PolicyEvidence extends BlockEvidence {
  rule: DecisionRule;
  attackPackets: number;
  packets: number;
  bytes: number;
}

export interface PolicyDecision {
  outcome: DecisionOutcome;
  /** For would-block: 'dry-run' or the guard; for refused: the protected range; for block: the rule. */
  reason: 'dry-run' | `guard:${GuardName}` | ProtectedReason | DecisionRule;
  rule: DecisionRule;
  /** Source group the decision is about (IPv4 address or IPv6 prefix). */
  source: string;
  /** The block as enforcement would receive it, evidence included, whatever the outcome. */
  request: BlockRequest & { evidence: PolicyEvidence };
  /** Flow time of the decision and of the first flow start the policy saw from the source. */
  decidedAtUs: number;
  firstSeenUs: number;
}

export type PolicyEvent =
  | { type: 'guard-tripped'; breach: GuardBreach; atUs: number; mode: 'dry-run' | 'refuse' }
  | { type: 'guards-reset'; previous: GuardBreach }
  | ({ type: 'spoofed-flood' } & SpoofedFloodReport)
  | { type: 'spoofed-flood-ended'; atUs: number };

export interface PolicyResult {
  decisions: PolicyDecision[];
  events: PolicyEvent[];
}

export interface PolicyDependencies {
  logger?: Logger;
  /** Uniform [0, 1) for the duration jitter; tests pass a fixed one. */
  random?: () => number;
}

/** Serialisable memory of the policy, saved on stop and restored on start. */
export const PolicyStateSchema = Type.Object({
  formatVersion: Type.Literal(1),
  escalation: Type.Array(Type.Object({ target: Type.String(), level: Type.Integer({ minimum: 0 }), lastBlockMs: Type.Number() })),
  activeBlocks: Type.Array(Type.Object({ target: Type.String(), expiresAtMs: Type.Number() })),
  trippedGuard: Type.Optional(
    Type.Object({ guard: Type.String(), limit: Type.Number(), value: Type.Number(), prefix: Type.Optional(Type.String()) }),
  ),
});

export type PolicyState = Static<typeof PolicyStateSchema>;

/** Policy state of one source group, for the API's source report. */
export interface SourceDescription {
  source: string;
  /** Level the next block would start at (0 = no remembered offence). */
  escalationLevel: number;
  blocked: boolean;
  /** Flow time before which the source is not decided again, ms; 0 when none. */
  quietUntilMs: number;
  window: WindowSummary | undefined;
}

interface SourceState {
  window: SourceWindow;
  firstSeenUs: number;
  /** Flow time until which no new decision is made: the block (or would-block, or refusal) runs. */
  quietUntilUs: number;
}

const NOTHING: PolicyResult = Object.freeze({ decisions: [], events: [] }) as unknown as PolicyResult;

/**
 * Turns verdicts into block decisions per source group. Pure logic: it enforces nothing and keeps
 * time by the verdicts' flow end times, so tests and replays drive it with recorded sequences.
 *
 * Rules (both need the current window of the source, by count and by time):
 * - flow-ratio: at least `minFlows` verdicts, a share of attack verdicts ≥ `attackRatio`, and
 *   the mean probability ≥ `minMeanProbability` when that is set.
 * - packet-volume: at least `volume.minAttackPackets` packets in attack verdicts, their share of
 *   the window's packets ≥ `attackRatio`, and their mean probability ≥ `volume.minMeanProbability`
 *   when that is set. It catches floods that make few flows (an ICMP echo flood is one long flow,
 *   exported only by the active timeout). A lone attack verdict of an established TCP
 *   connection (handshake seen, or data from the responder) does not count: one real
 *   connection is not a flood, and a large benign download is what the model misjudges most.
 *   Nor do the packets of transfers to the source (the responder sent TRANSFER_RATIO times
 *   the source's payload or more): a flood is what a source sends, not what it downloads. Several misjudged transfers can still trip it;
 *   `volume.minMeanProbability` trades that risk against missed floods.
 */
export class Policy {
  readonly options: Readonly<PolicyOptions>;
  readonly #logger: Logger;
  readonly #sources: LRUCache<string, SourceState>;
  readonly #allowlist: CidrList;
  readonly #own: CidrList;
  readonly #escalation: Escalation;
  readonly #guards: BlockGuards;
  readonly #spoofing: SpoofedFloodDetector | undefined;
  #tripped: GuardBreach | undefined;
  #counts = { verdicts: 0, blocks: 0, wouldBlocks: 0, refused: 0, spoofedFloods: 0 };

  constructor(options: PolicyOptionsInput = {}, dependencies: PolicyDependencies = {}) {
    this.options = parseOptions(PolicyOptionsSchema, options, 'policy options');
    this.#logger = (dependencies.logger ?? silentLogger()).child({ component: 'policy' });
    this.#allowlist = parseCidrs(this.options.allowlist, 'allowlist');
    this.#own = parseCidrs(this.options.ownAddresses, 'ownAddresses');
    this.#sources = new LRUCache({ max: this.options.maxSources });
    this.#escalation = new Escalation(this.options.block, dependencies.random ?? Math.random);
    this.#guards = new BlockGuards(this.options.guards);
    this.#spoofing = this.options.spoofing.enabled ? new SpoofedFloodDetector(this.options.spoofing) : undefined;
  }

  /** True when decisions are recorded only: configured dry-run, or a guard tripped it. */
  get dryRun(): boolean {
    return this.options.dryRun || this.#tripped !== undefined;
  }

  get trippedGuard(): GuardBreach | undefined {
    return this.#tripped;
  }

  get spoofedFloodActive(): boolean {
    return this.#spoofing?.active ?? false;
  }

  stats() {
    return { ...this.#counts, sources: this.#sources.size, activeBlocks: this.#guards.activeCount, dryRun: this.dryRun };
  }

  /** Feeds one verdict; returns the decisions and events it caused (usually none). */
  observe(verdict: Verdict): PolicyResult {
    this.#counts.verdicts++;
    const source = sourceGroupOf(verdict.srcAddr, this.options.ipv6PrefixLength);
    if (source === undefined) return NOTHING;

    let state = this.#sources.get(source);
    if (state === undefined) {
      state = this.#newSourceState(verdict.startUs, 0);
      this.#sources.set(source, state);
    }
    if (verdict.startUs < state.firstSeenUs) state.firstSeenUs = verdict.startUs;
    state.window.add(verdict);

    let events: PolicyEvent[] | undefined;
    if (this.#spoofing !== undefined) {
      if (verdict.label === 'attack' && state.window.size === 1) {
        const report = this.#spoofing.addSingleFlowAttack(source, verdict.dstAddr, verdict.endUs);
        if (report !== undefined) {
          this.#counts.spoofedFloods++;
          this.#logger.warn({ sources: report.sources, topDestinations: report.topDestinations }, 'spoofed-source flood detected');
          events = [{ type: 'spoofed-flood', ...report }];
        }
      } else if (this.#spoofing.advance(verdict.endUs)) {
        this.#logger.info({ atUs: verdict.endUs }, 'spoofed-source flood ended');
        events = [{ type: 'spoofed-flood-ended', atUs: verdict.endUs }];
      }
    }

    if (verdict.endUs < state.quietUntilUs) return events ? { decisions: [], events } : NOTHING;
    const summary = state.window.summarize();
    const rule = this.#ruleCrossed(summary);
    if (rule === undefined) return events ? { decisions: [], events } : NOTHING;

    const result = this.#decide(source, rule, summary, verdict, state);
    if (events) result.events.unshift(...events);
    return result;
  }

  #ruleCrossed(summary: WindowSummary): DecisionRule | undefined {
    const options = this.options;
    if (
      summary.flows >= options.minFlows &&
      summary.attackRatio >= options.attackRatio &&
      (options.minMeanProbability === undefined || summary.meanProbability >= options.minMeanProbability)
    ) {
      return 'flow-ratio';
    }
    const volume = options.volume;
    // While a spoofed flood runs, sources with too few flows are its forged addresses: report
    // the flood and leave them alone rather than filling the block table one address at a time.
    const spoofedCandidate = this.spoofedFloodActive && summary.flows < options.minFlows;
    // One TCP connection carries whatever the server sends back, and the model, with no history
    // of the source, judges a large download as a flood. A flood over real connections opens
    // several, so this rule skips a window whose only attack verdict is one connection.
    const loneConnection = summary.attackFlows === 1 && summary.establishedAttackFlows === 1;
    if (
      volume.enabled &&
      !spoofedCandidate &&
      !loneConnection &&
      summary.volumeAttackPackets >= volume.minAttackPackets &&
      summary.packets > 0 &&
      summary.volumeAttackPackets / summary.packets >= options.attackRatio &&
      (volume.minMeanProbability === undefined || summary.meanAttackProbability >= volume.minMeanProbability)
    ) {
      return 'packet-volume';
    }
    return undefined;
  }

  #decide(source: string, rule: DecisionRule, summary: WindowSummary, verdict: Verdict, state: SourceState): PolicyResult {
    const nowUs = verdict.endUs;
    const nowMs = nowUs / 1000;
    const level = this.#escalation.levelAt(source, nowMs);
    const durationMs = this.#escalation.durationFor(level);
    const evidence: PolicyEvidence = {
      flowsSeen: summary.flows,
      attackFlows: summary.attackFlows,
      attackRatio: summary.attackRatio,
      meanProbability: summary.meanProbability,
      threshold: this.options.attackRatio,
      windowStartUs: summary.windowStartUs,
      windowEndUs: summary.windowEndUs,
      modelVersion: verdict.modelVersion,
      packets: summary.packets,
      bytes: summary.bytes,
      rule,
      attackPackets: summary.attackPackets,
    };
    const request = {
      target: source,
      durationMs,
      reason: describeRule(rule, summary, this.options),
      origin: 'auto' as const,
      decisionId: randomUUID(),
      evidence,
      escalationLevel: level,
    };
    const decision: PolicyDecision = { outcome: 'block', reason: rule, rule, source, request, decidedAtUs: nowUs, firstSeenUs: state.firstSeenUs };
    const events: PolicyEvent[] = [];

    const protectedReason = this.#protectedReason(verdict.srcAddr, source);
    if (protectedReason !== undefined) {
      decision.outcome = 'refused';
      decision.reason = protectedReason;
      this.#counts.refused++;
      this.#logger.warn({ source, reason: protectedReason, decisionId: request.decisionId, evidence }, 'block refused for a protected address');
    } else if (this.dryRun) {
      decision.outcome = 'would-block';
      decision.reason = this.#tripped ? `guard:${this.#tripped.guard as GuardName}` : 'dry-run';
      this.#counts.wouldBlocks++;
    } else {
      const breach = this.#guards.check(source, nowMs);
      if (breach !== undefined) {
        decision.outcome = 'would-block';
        decision.reason = `guard:${breach.guard}`;
        this.#counts.wouldBlocks++;
        const mode = this.options.guards.onTrip;
        if (mode === 'dry-run') this.#tripped = breach;
        events.push({ type: 'guard-tripped', breach, atUs: nowUs, mode });
        this.#logger.error({ breach, mode, source }, 'block guard tripped');
      } else {
        this.#guards.admit(source, nowMs, durationMs);
        this.#escalation.record(source, level, nowMs);
        this.#counts.blocks++;
      }
    }
    // One decision per block period: later verdicts of the source arrive while the block runs.
    state.quietUntilUs = nowUs + durationMs * 1000;
    return { decisions: [decision], events };
  }

  #protectedReason(srcAddr: string, source: string): ProtectedReason | undefined {
    const address = parseAddress(srcAddr)!;
    const length = Number(source.split('/')[1] ?? (address.kind() === 'ipv4' ? 32 : 128));
    const network = parseAddress(source.split('/')[0])!;
    if (this.#allowlist.overlaps(network, length)) return 'allowlist';
    if (this.#own.overlaps(network, length)) return 'own-address';
    return specialRangeOf(address) ?? specialRangeOf(network);
  }

  /**
   * Forgets a block that ended early (a manual unblock). The target is not decided again before
   * `graceUntilMs` (flow time, ms since the Unix epoch); by default it may be decided at once.
   */
  release(target: string, options: { graceUntilMs?: number } = {}): void {
    this.#guards.release(target);
    const quietUntilUs = (options.graceUntilMs ?? 0) * 1000;
    const state = this.#sources.peek(target);
    if (state !== undefined) state.quietUntilUs = quietUntilUs;
    else if (quietUntilUs > 0) this.#sources.set(target, this.#newSourceState(Number.POSITIVE_INFINITY, quietUntilUs));
  }

  /** Describes an address or group as the policy sees it: group, window, escalation level, quiet time. */
  describeSource(address: string, nowMs: number): SourceDescription | undefined {
    const source = sourceGroupOf(address.split('/')[0], this.options.ipv6PrefixLength);
    if (source === undefined) return undefined;
    const state = this.#sources.peek(source);
    return {
      source,
      escalationLevel: this.#escalation.levelAt(source, nowMs),
      blocked: this.#guards.isActive(source, nowMs),
      quietUntilMs: state === undefined ? 0 : state.quietUntilUs / 1000,
      window: state?.window.summarize(),
    };
  }

  #newSourceState(firstSeenUs: number, quietUntilUs: number): SourceState {
    return { window: new SourceWindow(this.options.window.maxFlows, this.options.window.durationMs), firstSeenUs, quietUntilUs };
  }

  /** Operator reset after a guard tripped: enforcement resumes with the next decision. */
  resetGuards(): PolicyEvent | undefined {
    const previous = this.#tripped;
    if (previous === undefined) return undefined;
    this.#tripped = undefined;
    this.#logger.info({ previous }, 'block guards reset');
    return { type: 'guards-reset', previous };
  }

  exportState(nowMs: number): PolicyState {
    return {
      formatVersion: 1,
      escalation: this.#escalation.entries(),
      activeBlocks: this.#guards.activeBlocks(nowMs),
      ...(this.#tripped ? { trippedGuard: { ...this.#tripped } } : {}),
    };
  }

  /** Restores state saved by exportState; throws FG_ERR_MODEL_POLICY_STATE_INVALID on a bad document. */
  importState(state: unknown): void {
    if (!Value.Check(PolicyStateSchema, state)) {
      const problems = [...Value.Errors(PolicyStateSchema, state)].slice(0, 5).map((error) => `${error.path || '/'}: ${error.message}`);
      throw new ModelError('POLICY_STATE_INVALID', `saved policy state is invalid: ${problems.join('; ')}. Delete the state file to start with an empty history.`, {
        details: { problems },
      });
    }
    this.#escalation.restore(state.escalation);
    this.#guards.restore(state.activeBlocks);
    for (const block of state.activeBlocks) {
      this.#sources.set(block.target, this.#newSourceState(Number.POSITIVE_INFINITY, block.expiresAtMs * 1000));
    }
    if (state.trippedGuard) this.#tripped = { ...state.trippedGuard, guard: state.trippedGuard.guard as GuardName };
  }
}

function describeRule(rule: DecisionRule, summary: WindowSummary, options: Readonly<PolicyOptions>): string {
  if (rule === 'flow-ratio') {
    return `${summary.attackFlows} of ${summary.flows} flows judged attack (ratio ${summary.attackRatio.toFixed(2)} ≥ ${options.attackRatio})`;
  }
  return `${summary.volumeAttackPackets} packets in attack flows (≥ ${options.volume.minAttackPackets}, share ${(summary.volumeAttackPackets / summary.packets).toFixed(2)} ≥ ${options.attackRatio})`;
}

function parseCidrs(entries: readonly string[], key: string): CidrList {
  try {
    return new CidrList(entries);
  } catch (err) {
    throw new ModelError('OPTIONS_INVALID', `invalid policy options: ${key}: ${(err as Error).message}. Write addresses like 192.0.2.7 or CIDRs like 2001:db8::/32.`, {
      details: { key },
    });
  }
}
