import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../src/log.ts';
import { SeededRandom } from './random.ts';
import { BENIGN_SCENARIO, runScenario } from './runner.ts';
import type { AttackParameters } from './scenarios.ts';
import { down, up, type LabMode } from './topology.ts';

export interface CorpusRun {
  name: string;
  scenario: string;
  mode: LabMode;
  durationS: number;
  parameters: Partial<AttackParameters>;
}

const ATTACK_DURATION_S = 15;
const BENIGN_DURATION_S = 20;
const LEAD_S = 3;
const TAIL_S = 4;

/** Two intensity levels per attack: the low level runs in router mode, the high one in bridge mode. */
const LEVELS: Record<string, [Partial<AttackParameters>, Partial<AttackParameters>]> = {
  hulk: [{ concurrency: 10, rate: 150 }, { concurrency: 40, rate: 600, attackers: 2 }],
  goldeneye: [{ concurrency: 5, rate: 200 }, { concurrency: 20, rate: 800, attackers: 2 }],
  slowloris: [{ concurrency: 150, rate: 30, intervalS: 10 }, { concurrency: 500, rate: 100, intervalS: 5 }],
  'slowhttptest-headers': [{ concurrency: 150, rate: 30, intervalS: 10 }, { concurrency: 500, rate: 100, intervalS: 5 }],
  'slowhttptest-body': [{ concurrency: 150, rate: 30, intervalS: 5 }, { concurrency: 500, rate: 100, intervalS: 2 }],
  'slowhttptest-read': [{ concurrency: 50, rate: 10, intervalS: 1 }, { concurrency: 200, rate: 40, intervalS: 2 }],
  'syn-flood': [{ rate: 500 }, { rate: 3_000 }],
  'syn-flood-spoofed': [{ rate: 500 }, { rate: 3_000 }],
  'udp-flood': [{ rate: 500, payloadBytes: 32 }, { rate: 3_000, payloadBytes: 200 }],
  'icmp-flood': [{ rate: 300, payloadBytes: 56 }, { rate: 2_000, payloadBytes: 512 }],
};

/**
 * Lists the runs of the default corpus: every attack at two levels, each with benign traffic
 * running, plus three benign-only runs. That makes 23 runs of about 23 s each.
 */
export function planCorpus(): CorpusRun[] {
  const runs: CorpusRun[] = [];
  for (const [levelIndex, mode] of (['router', 'bridge'] as const).entries()) {
    for (const [scenario, levels] of Object.entries(LEVELS)) {
      runs.push({ name: `${scenario}-${levelIndex === 0 ? 'low' : 'high'}-${mode}`, scenario, mode, durationS: ATTACK_DURATION_S, parameters: levels[levelIndex] });
    }
  }
  runs.push({ name: 'benign-1-router', scenario: BENIGN_SCENARIO, mode: 'router', durationS: BENIGN_DURATION_S, parameters: {} });
  runs.push({ name: 'benign-2-router', scenario: BENIGN_SCENARIO, mode: 'router', durationS: BENIGN_DURATION_S, parameters: {} });
  runs.push({ name: 'benign-3-bridge', scenario: BENIGN_SCENARIO, mode: 'bridge', durationS: BENIGN_DURATION_S, parameters: {} });
  return runs;
}

export interface CorpusOptions {
  outDir: string;
  seed: number;
  logger: Logger;
  /** Called with the run id of each topology brought up, so a signal handler can tear it down. */
  onTopology?: (runId: string | undefined) => void;
  /** Only runs whose name contains one of these strings. */
  only?: string[];
}

/** Generates the corpus: brings the lab up once per mode and runs every planned run in it. */
export async function generateCorpus(options: CorpusOptions): Promise<{ failed: number; elapsedMs: number }> {
  const startedAtMs = Date.now();
  await mkdir(options.outDir, { recursive: true });
  const random = new SeededRandom(options.seed);
  const plan = planCorpus().filter((run) => !options.only || options.only.some((part) => run.name.includes(part)));
  const manifest: Record<string, unknown>[] = [];
  let failed = 0;

  for (const mode of ['router', 'bridge'] as const) {
    const runs = plan.filter((run) => run.mode === mode);
    if (runs.length === 0) continue;
    const topology = await up({ mode, seed: options.seed });
    options.onTopology?.(topology.runId);
    try {
      for (const run of runs) {
        const seed = random.derive(run.name);
        const runStartMs = Date.now();
        try {
          const result = await runScenario(topology, { scenario: run.scenario, name: run.name, durationS: run.durationS, parameters: run.parameters, leadS: LEAD_S, tailS: TAIL_S, outDir: options.outDir, seed });
          manifest.push({ ...run, seed, ok: true, elapsedMs: Date.now() - runStartMs, pcap: `${run.name}.pcap`, labels: `${run.name}.labels.json`, packetsCaptured: result.capture.packetsCaptured, packetsDroppedByKernel: result.capture.packetsDroppedByKernel });
          options.logger.info({ run: run.name, elapsedMs: Date.now() - runStartMs, packets: result.capture.packetsCaptured }, 'corpus run done');
        } catch (err) {
          failed++;
          manifest.push({ ...run, seed, ok: false, error: (err as Error).message });
          options.logger.error({ run: run.name, err }, 'corpus run failed');
        }
      }
    } finally {
      await down(topology.runId);
      options.onTopology?.(undefined);
    }
  }

  const elapsedMs = Date.now() - startedAtMs;
  await writeFile(join(options.outDir, 'corpus.json'), JSON.stringify({ seed: options.seed, elapsedMs, runs: manifest }, null, 2));
  return { failed, elapsedMs };
}
