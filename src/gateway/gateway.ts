import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { LivePacketSource } from '../capture/live-source.ts';
import { Enforcer } from '../enforce/enforcer.ts';
import { Policy } from '../enforce/policy.ts';
import { Scorer } from '../infer/scorer.ts';
import { readHistoryFile, writeHistoryFile, type SavedHistories } from '../infer/history-file.ts';
import { MemoryGatewayServices } from '../api/memory-services.ts';
import { ApiServer } from '../api/server.ts';
import type { PolicyStatus } from '../api/services.ts';
import type { Logger } from '../log.ts';
import { Component } from '../lifecycle.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import type { GatewayConfig } from './config.ts';
import { resolveInstallPath } from './config.ts';
import { Supervisor } from './supervisor.ts';
import { detectionDelayWarnings, flowSettingsDifferences } from './deployment-check.ts';
import { DetectionPipeline } from './detection.ts';
import { EnforcedGatewayServices } from './gateway-services.ts';
import { ReplaySource } from './replay-source.ts';
import type { FlowBatchPayload } from '../flows/capture-consumer.ts';

/** Source of packets: live interfaces (the daemon) or a capture file (demo, tests). */
export type GatewaySource =
  | { kind: 'live' }
  | { kind: 'replay'; file: string; pace: 'recorded' | 'full'; loop: boolean; onPassEnd?: (pass: number) => void };

export interface GatewayOptions {
  config: Readonly<GatewayConfig>;
  source: GatewaySource;
  logger: Logger;
  /**
   * Keeps blocks in memory instead of the kernel while the policy still blocks (the demo): the
   * block list fills as it would live, and no nft command runs.
   */
  memoryBackend?: boolean;
}

const POLICY_STATE_FILE = 'policy-state.json';
const POLICY_STATE_SAVE_INTERVAL_MS = 60_000;
const HISTORY_FILE = 'source-histories.bin';
/** Source groups whose flow histories are saved at stop: at most 79 × 4 bytes × window length each. */
const HISTORY_MAX_SOURCES = 20_000;
/** Age beyond which saved histories describe traffic long gone, so a later start begins empty. */
const HISTORY_MAX_AGE_MS = 10 * 60_000;

/**
 * The whole gateway: capture → flows → scoring → policy → enforcement, plus the API. Components
 * start in that order's reverse dependency order (enforcer first, capture last) and stop in
 * reverse, so intake stops first and everything queued drains into the kernel.
 */
export class Gateway {
  readonly config: Readonly<GatewayConfig>;
  readonly enforcer: Enforcer;
  readonly memory: MemoryGatewayServices;
  readonly services: EnforcedGatewayServices;
  readonly detection: DetectionPipeline;
  readonly api: ApiServer;
  readonly sources: Component[] = [];
  readonly #supervisor: Supervisor;
  readonly #logger: Logger;
  readonly #stateFile: string;
  readonly #historyFile: string;
  #summaryTimer: NodeJS.Timeout | undefined;
  #stateTimer: NodeJS.Timeout | undefined;
  #capturePackets = 0;
  #captureDroppedFlows = 0;
  #flowEvictions = 0;

  constructor(options: GatewayOptions) {
    const { config, logger } = options;
    this.config = config;
    this.#logger = logger;
    this.#stateFile = join(config.stateDirectory, POLICY_STATE_FILE);
    this.#historyFile = join(config.stateDirectory, HISTORY_FILE);
    const own = ownAddresses();

    this.enforcer = new Enforcer(
      {
        ...config.enforcement,
        mode: config.mode,
        dryRun: config.dryRun || options.memoryBackend === true,
        stateDir: config.stateDirectory,
        allowlist: [...config.allowlist, ...own],
      },
      { logger },
    );
    this.memory = new MemoryGatewayServices({ allowlist: [...config.allowlist], ownAddresses: own });
    const policy = this.#createPolicy(config, own);
    const scorer = this.#createScorer(config);
    this.services = new EnforcedGatewayServices({
      memory: this.memory,
      enforcer: this.enforcer,
      // Flow times are wall-clock times here (live capture, and replay shifts each pass to now),
      // so the grace period ends in the policy's clock when it ends for the API.
      onManualUnblock: (target, graceMs) => this.detection.policy.release(target, { graceUntilMs: Date.now() + graceMs }),
      componentHealth: () => this.#componentProblems(),
      extraStats: () => ({
        queueDepths: { scorer: this.detection.scorer.stats().queuedWindows },
        evictions: { flows: this.#flowEvictions, captureFlowsDropped: this.#captureDroppedFlows },
      }),
    });
    this.detection = new DetectionPipeline({ scorer, policy, memory: this.memory, services: this.services, logger });
    this.services.policy = {
      status: async () => policyStatus(this.detection.policy),
      resetGuards: async (actor) => {
        const event = this.detection.policy.resetGuards();
        if (event) {
          this.#logger.info({ actor, previous: event.type === 'guards-reset' ? event.previous : undefined }, 'block guards reset by an operator');
          this.memory.setHealthProblem('guard', undefined);
        }
        return policyStatus(this.detection.policy);
      },
    };
    this.api = new ApiServer({ services: this.services, options: config.api, logger });

    if (options.source.kind === 'replay') {
      this.sources.push(
        new ReplaySource({
          file: options.source.file,
          flows: config.flows,
          pace: options.source.pace,
          loop: options.source.loop,
          onFlows: (records) => this.detection.acceptFlows(records),
          onPackets: (packets, bytes) => this.memory.recordPackets(packets, bytes),
          onPassEnd: options.source.onPassEnd,
          logger,
        }),
      );
    } else {
      for (const device of config.capture.interfaces) {
        this.sources.push(
          new LivePacketSource({
            device,
            filter: config.capture.bpfFilter,
            bufferSizeBytes: config.capture.bufferSizeBytes,
            consumer: { module: new URL(`../flows/capture-consumer.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url), options: { flows: config.flows } },
            onConsumerMessage: (payload) => this.#acceptCaptureBatch(payload as FlowBatchPayload),
            logger,
          }),
        );
      }
    }

    this.#supervisor = new Supervisor(logger.child({ component: 'supervisor' }));
    this.#supervisor.add(this.enforcer).add(this.memory).add(scorer).add(this.detection).add(this.api);
    for (const source of this.sources) this.#supervisor.add(source);
  }

  /** Address the API listens on, once started. */
  get apiUrl(): string | undefined {
    return this.api.url;
  }

  async start(): Promise<void> {
    await mkdir(this.config.stateDirectory, { recursive: true });
    await this.#restorePolicyState();
    await this.#restoreHistories();
    await this.#supervisor.start();
    this.#summaryTimer = setInterval(() => this.#logSummary(), this.config.logging.summaryIntervalMs);
    this.#summaryTimer.unref();
    this.#stateTimer = setInterval(() => void this.#savePolicyState(), POLICY_STATE_SAVE_INTERVAL_MS);
    this.#stateTimer.unref();
    for (const warning of detectionDelayWarnings(this.config)) {
      this.#logger.warn({ key: warning.path }, `flow meter setting delays detection: ${warning.path} ${warning.message}`);
    }
    const differing = flowSettingsDifferences(this.detection.scorer.card, this.config);
    if (differing.length > 0) {
      this.#logger.warn(
        { keys: differing.map((key) => `flows.${key}`) },
        'flow meter settings differ from those the model was trained with; flows cut differently have other feature values',
      );
    }
    this.#logger.info({ mode: this.config.mode, dryRun: this.config.dryRun, api: this.apiUrl, modelVersion: this.detection.scorer.card.modelVersion }, 'gateway started');
  }

  /** Stops gracefully: intake first, then scoring drains, blocks are flushed and state saved. */
  async stop(): Promise<void> {
    clearInterval(this.#summaryTimer);
    clearInterval(this.#stateTimer);
    await this.#supervisor.stop();
    await this.#savePolicyState();
    await this.#saveHistories();
    this.#logSummary();
    this.#logger.info('gateway stopped');
  }

  /**
   * Applies a new config without a restart: model and policy thresholds change at once, and the
   * policy keeps its history. Capture, enforcement and API settings need a restart; a change to
   * them is logged and otherwise ignored.
   */
  async reload(next: Readonly<GatewayConfig>): Promise<void> {
    const restartOnly = (['mode', 'capture', 'enforcement', 'api', 'stateDirectory', 'dryRun', 'flows'] as const).filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(this.config[key]),
    );
    if (restartOnly.length > 0) this.#logger.warn({ keys: restartOnly }, 'config keys changed that apply only after a restart');
    const modelPath = resolveInstallPath(next.scorer.modelPath);
    const card = await this.detection.scorer.reload(modelPath);
    const state = this.detection.policy.exportState(Date.now());
    const policy = this.#createPolicy(next, ownAddresses());
    policy.importState(state);
    this.detection.policy = policy;
    this.#logger.info({ modelVersion: card.modelVersion, modelPath }, 'config reloaded');
  }

  #createPolicy(config: Readonly<GatewayConfig>, own: string[]): Policy {
    return new Policy(
      {
        ...structuredClone(config.policy),
        dryRun: config.dryRun,
        allowlist: [...config.allowlist],
        ownAddresses: [...config.policy.ownAddresses, ...own],
      },
      { logger: this.#logger },
    );
  }

  #createScorer(config: Readonly<GatewayConfig>): Scorer {
    return new Scorer(
      { ...structuredClone(config.scorer), modelPath: resolveInstallPath(config.scorer.modelPath) },
      { flowMeterMode: config.flows.mode ?? 'corrected', logger: this.#logger },
    );
  }

  #acceptCaptureBatch(payload: FlowBatchPayload): void {
    this.#capturePackets += payload.packets;
    this.#captureDroppedFlows = payload.droppedFlows;
    this.#flowEvictions = payload.meter.evicted ?? this.#flowEvictions;
    this.memory.recordPackets(payload.packets, payload.bytes);
    if (payload.flows.length > 0) this.detection.acceptFlows(payload.flows as FlowRecord[]);
  }

  #componentProblems(): string[] {
    const problems = this.#supervisor
      .health()
      .filter((component) => component.error !== undefined || (component.state !== 'running' && component.state !== 'closed'))
      .map((component) => `${component.name} is ${component.state}${component.error ? `: ${component.error}` : ''}`);
    for (const source of this.sources) {
      if (source instanceof LivePacketSource) {
        const loss = source.captureLoss();
        if (loss.estimatedLossRatio !== null && loss.estimatedLossRatio > 0.01) {
          problems.push(`capture on ${loss.device} lost about ${(loss.estimatedLossRatio * 100).toFixed(1)} % of packets`);
        }
      }
    }
    return problems;
  }

  #logSummary(): void {
    const scorer = this.detection.scorer.stats();
    this.#logger.info(
      {
        detection: this.detection.counters,
        scorer: { scoredWindows: scorer.scoredWindows, droppedWindows: scorer.droppedWindows, queuedWindows: scorer.queuedWindows },
        policy: this.detection.policy.stats(),
        activeBlocks: this.enforcer.list().length,
        capturePackets: this.#capturePackets,
      },
      'counters summary',
    );
  }

  async #restorePolicyState(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      this.detection.policy.importState(JSON.parse(text));
      this.#logger.info({ file: this.#stateFile }, 'policy history restored');
      const tripped = this.detection.policy.trippedGuard;
      if (tripped) {
        this.memory.setHealthProblem('guard', `block guard ${tripped.guard} tripped before the restart; decisions are recorded as would-block until an operator resets it`);
      }
    } catch (err) {
      // A damaged history must not keep the gateway from protecting: start with an empty one.
      this.#logger.error({ err, file: this.#stateFile }, 'policy history unreadable; starting with an empty history');
    }
  }

  /**
   * Hands the flow histories saved at the last stop to the scorer, so a restart does not judge
   * every source's next flow as its first. The file is removed once read: a crash later must
   * not bring back histories older than the traffic since.
   */
  async #restoreHistories(): Promise<void> {
    let saved: SavedHistories;
    try {
      saved = await readHistoryFile(this.#historyFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      // Lost histories cost only context: the gateway starts as it would on a new host.
      this.#logger.error({ err, file: this.#historyFile }, 'source histories unreadable; starting with empty histories');
      await rm(this.#historyFile, { force: true });
      return;
    }
    await rm(this.#historyFile, { force: true });
    const ageMs = Date.now() - saved.savedAtMs;
    if (ageMs > HISTORY_MAX_AGE_MS) {
      this.#logger.info({ file: this.#historyFile, ageMs }, 'source histories too old to restore');
      return;
    }
    this.detection.scorer.restoreHistories(saved.snapshot);
  }

  async #saveHistories(): Promise<void> {
    const snapshot = this.detection.scorer.exportHistories(HISTORY_MAX_SOURCES);
    if (snapshot === undefined || snapshot.groups.length === 0) return;
    try {
      await writeHistoryFile(this.#historyFile, snapshot, Date.now());
      this.#logger.info({ file: this.#historyFile, sources: snapshot.groups.length }, 'source histories saved');
    } catch (err) {
      this.#logger.error({ err, file: this.#historyFile }, 'saving the source histories failed');
    }
  }

  async #savePolicyState(): Promise<void> {
    const temporary = `${this.#stateFile}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(this.detection.policy.exportState(Date.now())));
      await rename(temporary, this.#stateFile);
    } catch (err) {
      this.#logger.error({ err, file: this.#stateFile }, 'saving the policy history failed');
    }
  }
}

/** Lists every address configured on this host or network namespace; the gateway allowlists them all. */
export function ownAddresses(): string[] {
  const addresses: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.push(entry.address.replace(/%.*$/, ''));
  }
  return [...new Set(addresses)];
}

function policyStatus(policy: Policy): PolicyStatus {
  const tripped = policy.trippedGuard;
  return {
    dryRun: policy.dryRun,
    configuredDryRun: policy.options.dryRun,
    ...(tripped ? { trippedGuard: { guard: tripped.guard, limit: tripped.limit, value: tripped.value, ...(tripped.prefix ? { prefix: tripped.prefix } : {}) } } : {}),
  };
}
