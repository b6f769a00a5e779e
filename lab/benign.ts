import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import type { ActivityKind, ActivityStats, AgentStatsLine, BenignActivity, BenignAgentConfig } from './agents/agent-config.ts';
import { nsSpawn, waitFor } from './exec.ts';
import { SeededRandom } from './random.ts';
import { REPO_ROOT, type LabHost, type LabTopology } from './topology.ts';

/**
 * Behaviour templates, assigned to clients in turn (client i gets template i mod 4). The last one
 * talks to the target over IPv6 only.
 */
const TEMPLATES: { description: string; ipv6: boolean; activities: BenignActivity[] }[] = [
  {
    description: 'browser with keep-alive, DNS-like lookups',
    ipv6: false,
    activities: [
      { kind: 'browse', keepAlive: true, thinkMs: [800, 6_000], parallelAssets: 4 },
      { kind: 'dns', thinkMs: [300, 3_000] },
    ],
  },
  {
    description: 'browser without keep-alive, one idle long-lived connection, occasional pings',
    ipv6: false,
    activities: [
      { kind: 'browse', keepAlive: false, thinkMs: [1_000, 8_000], parallelAssets: 2 },
      { kind: 'idle', requestEveryMs: 30_000 },
      { kind: 'ping', thinkMs: [2_000, 15_000], count: 3 },
    ],
  },
  {
    description: 'busy API client (many short calls), large downloads',
    ipv6: false,
    activities: [
      { kind: 'api', keepAlive: true, thinkMs: [20, 250], postShare: 0.15 },
      { kind: 'api', keepAlive: false, thinkMs: [200, 1_500], postShare: 0.3 },
      { kind: 'download', thinkMs: [3_000, 12_000] },
    ],
  },
  {
    description: 'IPv6 browser, API calls and DNS-like lookups',
    ipv6: true,
    activities: [
      { kind: 'browse', keepAlive: true, thinkMs: [800, 5_000], parallelAssets: 3 },
      { kind: 'api', keepAlive: true, thinkMs: [300, 2_000], postShare: 0.1 },
      { kind: 'dns', thinkMs: [1_000, 4_000] },
    ],
  },
];

export interface BenignPlanEntry {
  host: LabHost;
  description: string;
  /** Address the client sends from (its IPv6 address for the IPv6 template). */
  sourceAddress: string;
  config: BenignAgentConfig;
}

export interface BenignOptions {
  seed?: number;
  /** Hard bound on the agents' life; stop() normally ends them sooner. */
  maxDurationMs?: number;
  /** Only these clients (by name, `c1`…); all by default. */
  clients?: string[];
}

/** Works out which client does what, from the topology and a seed. */
export function planBenign(topology: LabTopology, options: BenignOptions = {}): BenignPlanEntry[] {
  const random = new SeededRandom(options.seed ?? 1);
  const hosts = topology.clients.filter((host) => !options.clients || options.clients.includes(host.name));
  return hosts.map((host) => {
    const index = topology.clients.indexOf(host);
    const template = TEMPLATES[index % TEMPLATES.length];
    const useIpv6 = template.ipv6 && host.ipv6 !== undefined;
    const config: BenignAgentConfig = {
      host: host.name,
      targetAddress: useIpv6 ? topology.target.ipv6! : topology.target.ipv4,
      httpPort: topology.target.httpPort,
      udpPort: topology.target.udpPort,
      seed: random.derive(host.name),
      maxDurationMs: options.maxDurationMs ?? 3_600_000,
      statsIntervalMs: 500,
      activities: template.activities,
      site: topology.site,
    };
    return { host, description: template.description, sourceAddress: useIpv6 ? host.ipv6! : host.ipv4, config };
  });
}

export type BenignStats = Record<string, { byKind: Partial<Record<ActivityKind, ActivityStats>>; recentErrors: string[]; final: boolean }>;

/** Totals over every client and activity. */
export function totalStats(stats: BenignStats): ActivityStats {
  const total: ActivityStats = { requests: 0, ok: 0, failed: 0, bytes: 0 };
  for (const host of Object.values(stats)) {
    for (const entry of Object.values(host.byKind)) {
      total.requests += entry.requests;
      total.ok += entry.ok;
      total.failed += entry.failed;
      total.bytes += entry.bytes;
    }
  }
  return total;
}

/** Benign traffic running in the client namespaces. */
export class BenignTraffic {
  readonly plan: BenignPlanEntry[];
  readonly startedAtMs: number;
  #stoppedAtMs: number | undefined;
  readonly #processes: ResultPromise[] = [];
  readonly #stats: BenignStats = {};

  constructor(plan: BenignPlanEntry[], processes: ResultPromise[]) {
    this.plan = plan;
    this.startedAtMs = Date.now();
    this.#processes = processes;
    processes.forEach((child, index) => {
      const host = plan[index].host.name;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as AgentStatsLine;
          if (parsed.type === 'stats') this.#stats[host] = { byKind: parsed.byKind, recentErrors: parsed.recentErrors, final: parsed.final };
        } catch {
          // A line that is not JSON is diagnostic output; stats lines are the only contract.
        }
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2_000);
      });
      child.then((result) => {
        if (result.exitCode === 0) return;
        // An agent that died keeps its last counts and gets the reason in recentErrors.
        const entry = (this.#stats[host] ??= { byKind: {}, recentErrors: [], final: false });
        entry.recentErrors.push(`agent exited with code ${result.exitCode ?? result.signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      });
    });
  }

  /** Latest per-client counts of requests, successes and failures. */
  stats(): BenignStats {
    return structuredClone(this.#stats);
  }

  get stoppedAtMs(): number | undefined {
    return this.#stoppedAtMs;
  }

  /** Waits until every client has completed at least `count` requests (or the deadline passes). */
  async waitForRequests(count: number, timeoutMs: number): Promise<void> {
    await waitFor(
      () => this.plan.every((entry) => totalStats({ x: this.#stats[entry.host.name] ?? { byKind: {}, recentErrors: [], final: false } }).requests >= count),
      `every benign client completing ${count} requests`,
      timeoutMs,
      100,
    );
  }

  /** Stops every agent (SIGTERM; in-flight requests finish) and returns the final counts. */
  async stop(): Promise<BenignStats> {
    if (this.#stoppedAtMs === undefined) this.#stoppedAtMs = Date.now();
    for (const child of this.#processes) child.kill('SIGTERM');
    await Promise.all(this.#processes);
    return this.stats();
  }
}

/** Starts one benign agent per client namespace. */
export function startBenign(topology: LabTopology, options: BenignOptions = {}): BenignTraffic {
  const plan = planBenign(topology, options);
  const agentPath = join(REPO_ROOT, 'lab/agents/benign-client.ts');
  const processes = plan.map((entry) =>
    nsSpawn(entry.host.namespace, process.execPath, ['--import', 'tsx', agentPath, JSON.stringify(entry.config)], {
      timeoutMs: entry.config.maxDurationMs + 30_000,
      cwd: REPO_ROOT,
    }),
  );
  return new BenignTraffic(plan, processes);
}
