import type { ResultPromise } from 'execa';
import { labError } from '../src/errors/lab.ts';
import { assertLabAddress } from './addresses.ts';
import type { AttackToolResult } from './attacks/attack-config.ts';
import { STARTED_LINE } from './attacks/http-flood-common.ts';
import { nsSpawn } from './exec.ts';
import { SeededRandom } from './random.ts';
import { findScenario, resolveParameters, type AttackParameters, type ScenarioDefinition, type ScenarioTool } from './scenarios.ts';
import { REPO_ROOT, type LabHost, type LabTopology } from './topology.ts';

/** Result of one attacker host's tool. */
export interface AttackHostOutcome {
  host: string;
  address: string;
  command: string[];
  /** When the tool reported it was sending (TypeScript tools), else when it was spawned. */
  startedAtMs: number;
  endedAtMs: number;
  exitCode: number | undefined;
  signal: string | undefined;
  /** Parsed result line of the TypeScript tools; absent for slowhttptest and hping3. */
  result?: AttackToolResult;
  /** Last 2,000 characters of the tool's output, for diagnosis. */
  outputTail: string;
}

export interface AttackOutcome {
  scenario: string;
  label: string;
  tool: ScenarioTool;
  parameters: AttackParameters;
  spoofedSources: boolean;
  startedAtMs: number;
  endedAtMs: number;
  hosts: AttackHostOutcome[];
}

/** An attack in progress; `done` resolves when every attacker's tool has exited. */
export interface RunningAttack {
  scenario: ScenarioDefinition;
  parameters: AttackParameters;
  hosts: LabHost[];
  startedAtMs: number;
  done: Promise<AttackOutcome>;
  /** Stops the tools now (SIGTERM, SIGKILL 2 s later) and waits for them. */
  stop(): Promise<AttackOutcome>;
}

/**
 * Extra time a tool gets past its duration before the runner kills it. The TypeScript tools time
 * their duration from their own start, and loading them through tsx takes seconds on a loaded
 * machine, so they get more.
 */
const KILL_GRACE_MS = 1_000;
const TYPESCRIPT_TOOL_KILL_GRACE_MS = 15_000;

export interface StartAttackOptions {
  seed?: number;
  /** Attacker hosts by name (`a1`…); the first `parameters.attackers` by default. */
  hosts?: string[];
}

/**
 * Starts a scenario's tool on its attacker hosts. Every target address is checked to lie inside
 * the lab before a process starts, and every process is killed at its duration plus a grace
 * period (1 s for hping3 and slowhttptest, 15 s for the TypeScript tools).
 */
export function startAttack(topology: LabTopology, scenarioName: string, overrides: Partial<AttackParameters> = {}, options: StartAttackOptions = {}): RunningAttack {
  const scenario = findScenario(scenarioName);
  const parameters = resolveParameters(scenario, overrides);
  const hosts = options.hosts
    ? options.hosts.map((name) => {
        const host = topology.attackers.find((candidate) => candidate.name === name);
        if (!host) throw labError('FG_ERR_LAB_BAD_OPTION', `attacker host '${name}' does not exist; use one of ${topology.attackers.map((a) => a.name).join(', ')}.`);
        return host;
      })
    : topology.attackers.slice(0, parameters.attackers);
  if (hosts.length < (options.hosts?.length ?? parameters.attackers)) {
    throw labError('FG_ERR_LAB_BAD_OPTION', `scenario '${scenario.name}' requests ${parameters.attackers} attacker hosts but the lab has ${topology.attackers.length}; bring the lab up with more attackers.`);
  }
  assertLabAddress(topology.target.ipv4, `scenario ${scenario.name}`);
  const random = new SeededRandom(options.seed ?? 1);

  const startedAtMs = Date.now();
  const children: { host: LabHost; command: string[]; child: ResultPromise; spawnedAtMs: number; output: { tail: string; startedAtMs: number } }[] = [];
  for (const host of hosts) {
    const { command, args } = scenario.command({ topology, host, parameters, seed: random.derive(host.name) });
    const output = { tail: '', startedAtMs: 0 };
    const grace = scenario.tool.endsWith('.ts') ? TYPESCRIPT_TOOL_KILL_GRACE_MS : KILL_GRACE_MS;
    const child = nsSpawn(host.namespace, command, args, { timeoutMs: parameters.durationS * 1_000 + grace, cwd: REPO_ROOT });
    const append = (chunk: Buffer) => {
      const text = chunk.toString();
      if (output.startedAtMs === 0 && text.includes(STARTED_LINE)) output.startedAtMs = Date.now();
      output.tail = (output.tail + text).slice(-2_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    children.push({ host, command: [command, ...args], child, spawnedAtMs: Date.now(), output });
  }

  const done = Promise.all(
    children.map(async ({ host, command, child, spawnedAtMs, output }): Promise<AttackHostOutcome> => {
      const result = await child;
      const endedAtMs = Date.now();
      const resultLine = output.tail.split('\n').reverse().find((line) => line.startsWith('{"type":"result"'));
      return {
        host: host.name,
        address: host.ipv4,
        command,
        startedAtMs: output.startedAtMs || spawnedAtMs,
        endedAtMs,
        exitCode: result.exitCode,
        signal: result.signal,
        result: resultLine ? (JSON.parse(resultLine) as AttackToolResult) : undefined,
        outputTail: output.tail,
      };
    }),
  ).then(
    (outcomes): AttackOutcome => ({
      scenario: scenario.name,
      label: scenario.label,
      tool: scenario.tool,
      parameters,
      spoofedSources: scenario.spoofedSources,
      startedAtMs,
      endedAtMs: Math.max(...outcomes.map((o) => o.endedAtMs)),
      hosts: outcomes,
    }),
  );

  return {
    scenario,
    parameters,
    hosts,
    startedAtMs,
    done,
    stop() {
      for (const { child } of children) child.kill('SIGTERM');
      return done;
    },
  };
}
