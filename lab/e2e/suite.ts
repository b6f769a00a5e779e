import { totalStats, startBenign, type BenignTraffic } from '../benign.ts';
import { startAttack } from '../attack-runner.ts';
import { waitFor } from '../exec.ts';
import type { FlowPreset } from './gateway-config.ts';
import { listKernelBlocks } from './nft-elements.ts';
import { activeBlocks, benignBlocked, benignDelta, blockCovers, measureAttack, sleep, type AttackMeasurement, type BenignWindow } from './measure.ts';
import { httpReachable } from './reachability.ts';
import { openSession, type E2eSession } from './session.ts';
import type { LabMode } from '../topology.ts';

/** The attacks of the acceptance run and the time-to-block each must meet. */
export const ATTACK_TARGETS: readonly { scenario: string; title: string; targetMs: number }[] = [
  { scenario: 'hulk', title: 'HTTP GET flood', targetMs: 3_000 },
  { scenario: 'goldeneye', title: 'keep-alive flood', targetMs: 3_000 },
  { scenario: 'syn-flood', title: 'SYN flood (own address)', targetMs: 3_000 },
  { scenario: 'udp-flood', title: 'UDP flood', targetMs: 3_000 },
  { scenario: 'icmp-flood', title: 'ICMP flood', targetMs: 3_000 },
  { scenario: 'slowloris', title: 'slowloris', targetMs: 20_000 },
  { scenario: 'slowhttptest-body', title: 'slow body', targetMs: 20_000 },
  { scenario: 'slowhttptest-read', title: 'slow read', targetMs: 30_000 },
];

export interface SuiteOptions {
  modelPath: string;
  flowPreset: FlowPreset;
  /** Lab and gateway mode; router by default. */
  mode?: LabMode;
  /** Seconds each attack runs. */
  attackDurationS: number;
  /** Scenarios to run (names from ATTACK_TARGETS); all by default. */
  scenarios?: string[];
  /** Scenario run during the gateway restart. */
  restartScenario: string;
  /** Bound on the gateway's resident memory during the spoofed flood. */
  rssLimitBytes: number;
  log?: (line: string) => void;
  /** Copy the gateway's JSON log here at the end. */
  keepLogAs?: string;
}

export interface SpoofedMeasurement {
  durationS: number;
  packetsAtTarget: number;
  rssBaselineBytes: number | null;
  rssMaxBytes: number | null;
  treeRssMaxBytes: number | null;
  healthReasons: string[];
  spoofedFloodLogged: boolean;
  newBlocks: number;
  benignBlocks: string[];
  benign: BenignWindow;
}

export interface UnblockMeasurement {
  host: string;
  address: string;
  reachableWhileBlocked: boolean;
  deleteStatus: number;
  removedFromKernelMs: number | null;
  reachableAfter: boolean;
  auditRecord: Record<string, unknown> | null;
}

export interface RestartMeasurement {
  scenario: string;
  host: string;
  blockedBeforeRestart: boolean;
  stopMs: number;
  exitCode: number | undefined;
  startMs: number;
  kernelSamples: number;
  /** Samples, from the block until 3 s after the new gateway was healthy, where the element was missing. */
  samplesWithoutBlock: number;
  blockListedAfterRestart: boolean;
  benignBlocks: string[];
}

export interface SuiteReport {
  startedAt: string;
  mode: LabMode;
  modelPath: string;
  flowPreset: FlowPreset;
  attackDurationS: number;
  attacks: (AttackMeasurement & { title: string })[];
  unblock: UnblockMeasurement | null;
  spoofed: SpoofedMeasurement | null;
  restart: RestartMeasurement | null;
  benignWhole: BenignWindow;
  benignBlocksEver: string[];
  wallTimeMs: number;
  gatewayErrors: string[];
}

/**
 * The acceptance run: lab in router mode, the gateway in its namespace, benign traffic
 * throughout, each attack from its own attacker host, then a manual unblock, a gateway restart
 * during an attack, and a spoofed SYN flood last (it may trip the block guards, which would
 * put every later decision in dry-run).
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const log = options.log ?? (() => undefined);
  const startedAtMs = Date.now();
  const attacks = ATTACK_TARGETS.filter((entry) => !options.scenarios || options.scenarios.includes(entry.scenario));
  const attackerCount = attacks.length + 2;
  const budgetMs = (attacks.length + 4) * (options.attackDurationS + 40) * 1_000 + 120_000;
  const session = await openSession({ mode: options.mode ?? 'router', modelPath: options.modelPath, flowPreset: options.flowPreset, attackerCount, clientCount: 4, maxLifetimeMs: budgetMs, ...(options.keepLogAs ? { keepLogAs: options.keepLogAs } : {}) });
  log(`lab ${session.topology.runId} up in ${session.topology.mode} mode, gateway pid ${session.gateway.pid}, table ${session.tableName}, flows ${options.flowPreset}`);
  const benign = startBenign(session.topology, { maxDurationMs: budgetMs });
  const benignBlocksEver = new Set<string>();
  const report: SuiteReport = {
    startedAt: new Date(startedAtMs).toISOString(),
    mode: session.topology.mode,
    modelPath: options.modelPath,
    flowPreset: options.flowPreset,
    attackDurationS: options.attackDurationS,
    attacks: [],
    unblock: null,
    spoofed: null,
    restart: null,
    benignWhole: { requests: 0, ok: 0, failed: 0, successRate: null },
    benignBlocksEver: [],
    wallTimeMs: 0,
    gatewayErrors: [],
  };
  try {
    await benign.waitForRequests(3, 60_000);
    const benignStart = totalStats(benign.stats());
    for (const [index, attack] of attacks.entries()) {
      const host = session.topology.attackers[index];
      log(`${attack.scenario} from ${host.name} (${host.ipv4}) for ${options.attackDurationS} s`);
      const measured = await measureAttack(session, { scenario: attack.scenario, host, durationS: options.attackDurationS, targetMs: attack.targetMs, benign });
      for (const hit of measured.benignBlocks) benignBlocksEver.add(hit);
      report.attacks.push({ ...measured, title: attack.title });
      log(`  time to block ${formatMs(measured.timeToBlockMs)} (kernel seen ${formatMs(measured.timeToKernelMs)}), after-block packets ${measured.packetsAfterBlock ?? '-'}, benign ${formatRate(measured.benign.successRate)}`);
      await sleep(2_000);
    }

    const blocked = report.attacks.find((attack) => attack.blockCreatedAtMs !== null);
    if (blocked) report.unblock = await measureUnblock(session, blocked.host);
    else log('no attacker was blocked; the unblock check has nothing to unblock');

    report.restart = await measureRestart(session, options, session.topology.attackers[attacks.length], log);
    for (const hit of report.restart.benignBlocks) benignBlocksEver.add(hit);

    report.spoofed = await measureSpoofed(session, options, session.topology.attackers[attacks.length + 1], benign, log);
    for (const hit of report.spoofed.benignBlocks) benignBlocksEver.add(hit);

    for (const hit of benignBlocked(session, await activeBlocks(session))) benignBlocksEver.add(hit);
    report.benignWhole = benignDelta(benignStart, totalStats(benign.stats()));
  } finally {
    await benign.stop().catch(() => undefined);
    report.gatewayErrors = session.gateway
      .logRecords()
      .filter((record) => typeof record.level === 'number' && record.level >= 50)
      .map((record) => `${String(record.component ?? '')}: ${String(record.msg)} ${JSON.stringify(record.err ?? '').slice(0, 200)}`)
      .slice(0, 20);
    await session.close();
  }
  report.benignBlocksEver = [...benignBlocksEver];
  report.wallTimeMs = Date.now() - startedAtMs;
  return report;
}

async function measureUnblock(session: E2eSession, hostName: string): Promise<UnblockMeasurement> {
  const host = session.topology.attackers.find((candidate) => candidate.name === hostName)!;
  const reachableWhileBlocked = await httpReachable(session.topology, host);
  const response = await session.gateway.api('DELETE', `/blocks/${host.ipv4}`);
  const sentAt = Date.now();
  let removedFromKernelMs: number | null = null;
  await waitFor(
    async () => {
      const kernel = await listKernelBlocks(session.topology.gateway.namespace, session.tableFamily, session.tableName);
      if (kernel && !kernel.has(host.ipv4)) removedFromKernelMs = Date.now() - sentAt;
      return removedFromKernelMs !== null;
    },
    'the unblocked address leaving the nft set',
    10_000,
    100,
  ).catch(() => undefined);
  const reachableAfter = await httpReachable(session.topology, host);
  // The log file is written asynchronously; give the audit line a moment to land.
  let auditRecord: Record<string, unknown> | null = null;
  await waitFor(
    () => {
      auditRecord = session.gateway.logRecords().find((record) => record.component === 'api-audit' && record.action === 'block.remove' && record.target === host.ipv4) ?? null;
      return auditRecord !== null;
    },
    'the audit record of the unblock',
    5_000,
    100,
  ).catch(() => undefined);
  return { host: host.name, address: host.ipv4, reachableWhileBlocked, deleteStatus: response.status, removedFromKernelMs, reachableAfter, auditRecord };
}

async function measureRestart(
  session: E2eSession,
  options: SuiteOptions,
  host: E2eSession['topology']['attackers'][number],
  log: (line: string) => void,
): Promise<RestartMeasurement> {
  const durationS = Math.max(options.attackDurationS, 45);
  log(`restart during ${options.restartScenario} from ${host.name} for up to ${durationS} s`);
  const attack = startAttack(session.topology, options.restartScenario, { durationS }, { hosts: [host.name] });
  const benignBlocks = new Set<string>();
  const namespace = session.topology.gateway.namespace;
  const result: RestartMeasurement = {
    scenario: options.restartScenario,
    host: host.name,
    blockedBeforeRestart: false,
    stopMs: 0,
    exitCode: undefined,
    startMs: 0,
    kernelSamples: 0,
    samplesWithoutBlock: 0,
    blockListedAfterRestart: false,
    benignBlocks: [],
  };
  try {
    result.blockedBeforeRestart = await waitFor(
      async () => (await listKernelBlocks(namespace, session.tableFamily, session.tableName))?.has(host.ipv4) === true,
      'the restart attacker blocked in nft',
      Math.min(30_000, durationS * 1_000 - 10_000),
      250,
    ).then(
      () => true,
      () => false,
    );
    if (!result.blockedBeforeRestart) {
      log('  the attacker was not blocked; the restart is measured for benign blocks only');
    }
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const kernel = await listKernelBlocks(namespace, session.tableFamily, session.tableName);
        result.kernelSamples++;
        if (result.blockedBeforeRestart && !kernel?.has(host.ipv4)) result.samplesWithoutBlock++;
        await sleep(100);
      }
    })();
    const restarted = await session.restartGateway();
    Object.assign(result, restarted);
    await sleep(3_000);
    sampling = false;
    await sampler;
    const blocks = await activeBlocks(session);
    result.blockListedAfterRestart = blocks.some((block) => blockCovers(block.target, host));
    for (const hit of benignBlocked(session, blocks)) benignBlocks.add(hit);
    log(`  stop ${restarted.stopMs} ms, start ${restarted.startMs} ms, ${result.samplesWithoutBlock}/${result.kernelSamples} samples without the block`);
  } finally {
    await attack.stop();
  }
  for (const hit of benignBlocked(session, await activeBlocks(session))) benignBlocks.add(hit);
  result.benignBlocks = [...benignBlocks];
  return result;
}

async function measureSpoofed(
  session: E2eSession,
  options: SuiteOptions,
  host: E2eSession['topology']['attackers'][number],
  benign: BenignTraffic,
  log: (line: string) => void,
): Promise<SpoofedMeasurement> {
  log(`spoofed SYN flood from ${host.name} for ${options.attackDurationS} s`);
  const rssBaselineBytes = session.gateway.rssBytes() ?? null;
  let rssMaxBytes = rssBaselineBytes;
  let treeRssMaxBytes: number | null = null;
  const reasons = new Set<string>();
  const onPoll = async () => {
    const rss = session.gateway.rssBytes();
    if (rss !== undefined) rssMaxBytes = Math.max(rssMaxBytes ?? 0, rss);
    const tree = await session.gateway.treeRssBytes();
    if (tree !== undefined) treeRssMaxBytes = Math.max(treeRssMaxBytes ?? 0, tree);
    const health = await session.gateway.api('GET', '/health').catch(() => undefined);
    for (const reason of (health?.body as { reasons?: string[] } | undefined)?.reasons ?? []) reasons.add(reason);
  };
  const measured = await measureAttack(session, { scenario: 'syn-flood-spoofed', host, durationS: options.attackDurationS, targetMs: 0, benign, onPoll, counter: 'other' });
  const spoofedFloodLogged = session.gateway.logRecords().some((record) => String(record.msg).includes('spoofed-source flood'));
  return {
    durationS: options.attackDurationS,
    packetsAtTarget: measured.packetsTotal,
    rssBaselineBytes,
    rssMaxBytes,
    treeRssMaxBytes,
    healthReasons: [...reasons],
    spoofedFloodLogged,
    newBlocks: measured.otherNewBlocks.length,
    benignBlocks: measured.benignBlocks,
    benign: measured.benign,
  };
}

export function formatMs(ms: number | null): string {
  return ms === null ? 'not blocked' : `${(ms / 1_000).toFixed(2)} s`;
}

export function formatRate(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(2)} %`;
}

/** Formats the run's table: one row per attack, then the other checks. */
export function formatReport(report: SuiteReport): string {
  const lines = [
    `${report.mode} mode, model ${report.modelPath}, flow settings ${report.flowPreset}, ${report.attackDurationS} s per attack, wall time ${(report.wallTimeMs / 1_000).toFixed(0)} s`,
    '',
    '| attack | attacker | target | time to block (gateway) | seen in nft | packets at target before / after block | benign success | benign blocked |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const attack of report.attacks) {
    lines.push(
      `| ${attack.title} | ${attack.host} | ≤ ${attack.targetMs / 1_000} s | ${formatMs(attack.timeToBlockMs)} | ${formatMs(attack.timeToKernelMs)} | ${attack.packetsBeforeBlock} / ${attack.packetsAfterBlock ?? '-'} | ${formatRate(attack.benign.successRate)} (${attack.benign.ok}/${attack.benign.requests}) | ${attack.benignBlocks.length} |`,
    );
  }
  lines.push('');
  const u = report.unblock;
  lines.push(
    u
      ? `unblock ${u.host}: DELETE ${u.deleteStatus}, reachable while blocked ${u.reachableWhileBlocked}, left nft after ${u.removedFromKernelMs ?? '-'} ms, reachable after ${u.reachableAfter}, audit record ${u.auditRecord ? 'present' : 'missing'}`
      : 'unblock: not measured (no attacker was blocked)',
  );
  const r = report.restart;
  if (r) {
    lines.push(
      `restart during ${r.scenario} (${r.host}): blocked before ${r.blockedBeforeRestart}, stop ${r.stopMs} ms (exit ${r.exitCode}), start ${r.startMs} ms, ${r.samplesWithoutBlock}/${r.kernelSamples} nft samples without the block, listed after restart ${r.blockListedAfterRestart}, benign blocks ${r.benignBlocks.length}`,
    );
  }
  const s = report.spoofed;
  if (s) {
    const mb = (bytes: number | null) => (bytes === null ? '-' : `${(bytes / 1_048_576).toFixed(0)} MiB`);
    lines.push(
      `spoofed SYN flood: ${s.packetsAtTarget} packets at target, gateway RSS ${mb(s.rssBaselineBytes)} → max ${mb(s.rssMaxBytes)} (with capture child ${mb(s.treeRssMaxBytes)}), new blocks ${s.newBlocks}, benign blocks ${s.benignBlocks.length}, benign ${formatRate(s.benign.successRate)}, reported: health [${s.healthReasons.join('; ')}], log ${s.spoofedFloodLogged}`,
    );
  }
  lines.push(`benign over the whole run: ${formatRate(report.benignWhole.successRate)} (${report.benignWhole.ok}/${report.benignWhole.requests}); benign clients ever blocked: ${report.benignBlocksEver.length === 0 ? 'none' : report.benignBlocksEver.join(', ')}`);
  if (report.gatewayErrors.length > 0) lines.push(`gateway error log lines: ${report.gatewayErrors.join(' | ')}`);
  return lines.join('\n');
}
