import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labError } from '../src/errors/lab.ts';
import { startBenign, totalStats, type BenignStats } from './benign.ts';
import { PacketCapture, type CaptureSummary } from './capture.ts';
import { buildLabels } from './labels.ts';
import { startAttack, type AttackOutcome } from './attack-runner.ts';
import { findScenario, type AttackParameters } from './scenarios.ts';
import { readTargetCounters, type TargetCounts } from './target-counters.ts';
import type { LabTopology } from './topology.ts';

/** Name of the run that has benign traffic only. */
export const BENIGN_SCENARIO = 'benign';

export interface ScenarioRunOptions {
  /** A scenario name from `SCENARIOS`, or `benign`. */
  scenario: string;
  parameters?: Partial<AttackParameters>;
  /** Attack duration in seconds (for `benign`, the time between lead-in and tail). */
  durationS?: number;
  /** Benign-only time before the attack starts and after it ends. */
  leadS?: number;
  tailS?: number;
  outDir: string;
  /** Base name of the output files; the scenario name by default. */
  name?: string;
  seed?: number;
  snapLengthBytes?: number;
}

export interface ScenarioRunResult {
  name: string;
  pcapFile: string;
  labelsFile: string;
  metadataFile: string;
  capture: CaptureSummary;
  attack?: AttackOutcome;
  benign: BenignStats;
  /** Packets that reached the target per source during the run. */
  targetCounts: TargetCounts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function subtractCounts(after: TargetCounts, before: TargetCounts): TargetCounts {
  const result: TargetCounts = {};
  for (const [name, count] of Object.entries(after)) {
    result[name] = { packets: count.packets - (before[name]?.packets ?? 0), bytes: count.bytes - (before[name]?.bytes ?? 0) };
  }
  return result;
}

/**
 * Runs one scenario on a lab that is up: capture on the gateway's outside interface, benign
 * traffic throughout, the attack after the lead-in, then the tail. Writes `<name>.pcap`,
 * `<name>.labels.json` and `<name>.run.json` into `outDir`.
 */
export async function runScenario(topology: LabTopology, options: ScenarioRunOptions): Promise<ScenarioRunResult> {
  const isBenign = options.scenario === BENIGN_SCENARIO;
  const scenario = isBenign ? undefined : findScenario(options.scenario);
  const durationS = options.durationS ?? options.parameters?.durationS ?? scenario?.defaults.durationS ?? 20;
  const leadS = options.leadS ?? 5;
  const tailS = options.tailS ?? 5;
  const seed = options.seed ?? 1;
  const name = options.name ?? options.scenario;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw labError('FG_ERR_LAB_BAD_OPTION', `run name '${name}' is invalid; use letters, digits, '.', '_' and '-' only.`);
  }
  const totalMs = (leadS + durationS + tailS) * 1_000;
  await mkdir(options.outDir, { recursive: true });
  const pcapFile = join(options.outDir, `${name}.pcap`);
  const labelsFile = join(options.outDir, `${name}.labels.json`);
  const metadataFile = join(options.outDir, `${name}.run.json`);

  const countsBefore = await readTargetCounters(topology.target.namespace, topology.target.counterTable);
  const capture = await PacketCapture.start({
    namespace: topology.gateway.namespace,
    interface: topology.gateway.outsideInterface,
    file: pcapFile,
    snapLengthBytes: options.snapLengthBytes,
    maxDurationMs: totalMs + 120_000,
  });
  let attack: AttackOutcome | undefined;
  let benignStats: BenignStats;
  const benign = startBenign(topology, { seed, maxDurationMs: totalMs + 60_000 });
  try {
    await sleep(leadS * 1_000);
    if (scenario) {
      const running = startAttack(topology, scenario.name, { ...options.parameters, durationS }, { seed });
      attack = await running.done;
    } else {
      await sleep(durationS * 1_000);
    }
    await sleep(tailS * 1_000);
  } finally {
    benignStats = await benign.stop();
  }
  const summary = await capture.stop();
  const countsAfter = await readTargetCounters(topology.target.namespace, topology.target.counterTable);

  const labels = buildLabels({
    topology,
    scenario: options.scenario,
    seed,
    // The capture's own start and stop bracket every packet it wrote.
    captureStartMs: summary.startedAtMs - 1_000,
    captureEndMs: summary.stoppedAtMs,
    benign: benign.plan,
    attack,
  });
  const targetCounts = subtractCounts(countsAfter, countsBefore);
  await writeFile(labelsFile, JSON.stringify(labels, null, 2));
  const metadata = {
    name,
    scenario: options.scenario,
    seed,
    mode: topology.mode,
    durationS,
    leadS,
    tailS,
    capture: summary,
    attack,
    benign: { perClient: benignStats, total: totalStats(benignStats) },
    targetCounts,
  };
  await writeFile(metadataFile, JSON.stringify(metadata, null, 2));
  return { name, pcapFile, labelsFile, metadataFile, capture: summary, attack, benign: benignStats, targetCounts };
}
