/**
 * Command line of the lab (`npm run lab -- <command>`); run it as root.
 *
 *   up [--mode router|bridge] [--seed N]         bring a lab up and leave it running
 *   down [RUN_ID]                                 remove one lab, or every lab from `up` or a dead owner
 *   status                                        list labs that are up
 *   scenarios                                     list attack scenarios and their defaults
 *   run SCENARIO [--duration S] [--out DIR] [--seed N] [--mode router|bridge]
 *                [--rate N] [--concurrency N] [--interval S] [--attackers N] [--keep]
 *   corpus --out DIR [--seed N] [--only NAME,...]
 */
import { parseArgs } from 'node:util';
import { isFlowguardError } from '../src/errors/index.ts';
import { labError } from '../src/errors/lab.ts';
import { createLogger } from '../src/log.ts';
import { generateCorpus, planCorpus } from './corpus.ts';
import { totalStats } from './benign.ts';
import { BENIGN_SCENARIO, runScenario } from './runner.ts';
import { findScenario, SCENARIOS, type AttackParameters } from './scenarios.ts';
import { down, existingLabNamespaces, listRuns, loadTopology, removeStaleRuns, up, type LabMode } from './topology.ts';

const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });

/** Run ids to tear down if the process is interrupted. */
const liveRuns = new Set<string>();
let interrupted = false;

function installTeardownTrap(): void {
  const handler = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    logger.warn({ signal, runs: [...liveRuns] }, 'interrupted, tearing the lab down');
    void Promise.allSettled([...liveRuns].map((runId) => down(runId))).then(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function parseMode(value: string | undefined): LabMode {
  if (value === undefined || value === 'router' || value === 'bridge') return value ?? 'router';
  throw labError('FG_ERR_LAB_BAD_OPTION', `--mode ${value} is invalid; use router or bridge.`);
}

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw labError('FG_ERR_LAB_BAD_OPTION', `--${name} ${value} is not a number; give a number.`);
  return parsed;
}

async function commandUp(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { mode: { type: 'string' }, seed: { type: 'string' } } });
  const topology = await up({ mode: parseMode(values.mode), seed: parseNumber('seed', values.seed), persistent: true });
  process.stdout.write(`${JSON.stringify({ runId: topology.runId, mode: topology.mode, namespaces: topology.namespaces, gateway: topology.gateway, target: topology.target, clients: topology.clients, attackers: topology.attackers }, null, 2)}\n`);
  return 0;
}

async function commandDown(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    for (const runId of argv) {
      await down(runId);
      process.stdout.write(`removed lab ${runId}\n`);
    }
    return 0;
  }
  const { removed, kept } = await removeStaleRuns();
  for (const runId of removed) process.stdout.write(`removed lab ${runId}\n`);
  for (const runId of kept) process.stdout.write(`kept lab ${runId}: its owner process is still running; name it to remove it anyway\n`);
  return 0;
}

async function commandStatus(): Promise<number> {
  const runs = await listRuns();
  if (runs.length === 0) process.stdout.write('no lab is up\n');
  for (const runId of runs) {
    const topology = await loadTopology(runId);
    const present = await existingLabNamespaces(runId);
    process.stdout.write(`${runId}: mode ${topology?.mode ?? 'unknown (half-built)'}, ${present.length} namespaces: ${present.join(' ')}\n`);
  }
  return 0;
}

function commandScenarios(): number {
  for (const scenario of SCENARIOS) {
    process.stdout.write(`${scenario.name.padEnd(22)} ${scenario.label.padEnd(18)} ${scenario.tool.padEnd(26)} ${scenario.description}\n`);
    process.stdout.write(`${''.padEnd(22)} defaults ${JSON.stringify(scenario.defaults)}\n`);
  }
  process.stdout.write(`${BENIGN_SCENARIO.padEnd(22)} ${'BENIGN'.padEnd(18)} ${''.padEnd(26)} benign traffic only\n`);
  return 0;
}

async function commandRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      mode: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      interval: { type: 'string' },
      attackers: { type: 'string' },
      lead: { type: 'string' },
      tail: { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const scenario = positionals[0];
  if (!scenario) throw labError('FG_ERR_LAB_BAD_OPTION', 'run needs a scenario name; run `npm run lab -- scenarios` for the list.');
  const parameters: Partial<AttackParameters> = {
    rate: parseNumber('rate', values.rate),
    concurrency: parseNumber('concurrency', values.concurrency),
    intervalS: parseNumber('interval', values.interval),
    attackers: parseNumber('attackers', values.attackers),
  };
  if (scenario !== BENIGN_SCENARIO) findScenario(scenario);
  const seed = parseNumber('seed', values.seed) ?? 1;
  const topology = await up({ mode: parseMode(values.mode), seed });
  liveRuns.add(topology.runId);
  logger.info({ runId: topology.runId, mode: topology.mode, scenario }, 'lab up');
  try {
    const result = await runScenario(topology, {
      scenario,
      parameters,
      durationS: parseNumber('duration', values.duration),
      leadS: parseNumber('lead', values.lead),
      tailS: parseNumber('tail', values.tail),
      outDir: values.out ?? 'lab/out',
      seed,
    });
    const total = totalStats(result.benign);
    process.stdout.write(
      `${JSON.stringify({ pcap: result.pcapFile, labels: result.labelsFile, metadata: result.metadataFile, packetsCaptured: result.capture.packetsCaptured, packetsDroppedByKernel: result.capture.packetsDroppedByKernel, benignRequests: total, targetCounts: result.targetCounts }, null, 2)}\n`,
    );
    return 0;
  } finally {
    if (values.keep) process.stdout.write(`lab ${topology.runId} left up; remove it with: npm run lab -- down ${topology.runId}\n`);
    else {
      await down(topology.runId);
      liveRuns.delete(topology.runId);
    }
  }
}

async function commandCorpus(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' }, plan: { type: 'boolean' } } });
  if (values.plan) {
    for (const run of planCorpus()) process.stdout.write(`${JSON.stringify(run)}\n`);
    return 0;
  }
  if (!values.out) throw labError('FG_ERR_LAB_BAD_OPTION', 'corpus needs --out DIR, the folder for the pcaps and labels files.');
  const seed = parseNumber('seed', values.seed) ?? 1;
  const result = await generateCorpus({
    outDir: values.out,
    seed,
    logger,
    only: values.only?.split(','),
    onTopology: (runId) => {
      liveRuns.clear();
      if (runId) liveRuns.add(runId);
    },
  });
  process.stdout.write(`corpus written to ${values.out} in ${(result.elapsedMs / 1000).toFixed(0)} s, ${result.failed} failed runs\n`);
  return result.failed === 0 ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  installTeardownTrap();
  switch (command) {
    case 'up':
      return commandUp(rest);
    case 'down':
      return commandDown(rest);
    case 'status':
      return commandStatus();
    case 'scenarios':
      return commandScenarios();
    case 'run':
      return commandRun(rest);
    case 'corpus':
      return commandCorpus(rest);
    default:
      process.stderr.write('usage: npm run lab -- up|down|status|scenarios|run SCENARIO|corpus --out DIR (see lab/cli.ts)\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = isFlowguardError(err) ? `${err.message} [${err.code}]` : String((err as Error)?.stack ?? err);
    process.stderr.write(`lab: ${message}\n`);
    process.exitCode = 1;
  },
);
