import ipaddr from 'ipaddr.js';
import { totalStats, type BenignTraffic } from '../benign.ts';
import { startAttack, type AttackOutcome } from '../attack-runner.ts';
import type { AttackParameters } from '../scenarios.ts';
import { readTargetCounters } from '../target-counters.ts';
import type { LabHost } from '../topology.ts';
import { listKernelBlocks } from './nft-elements.ts';
import type { E2eSession } from './session.ts';

/** A block as GET /blocks returns it (the fields the run reads). */
export interface ApiBlock {
  target: string;
  origin: string;
  createdAtMs: number;
  reason: string;
  evidence?: { windowStartUs: number; windowEndUs: number; flowsSeen: number; attackFlows: number; meanProbability: number; packets?: number };
}

export const POLL_INTERVAL_MS = 250;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function activeBlocks(session: E2eSession): Promise<ApiBlock[]> {
  const response = await session.gateway.api('GET', '/blocks?state=active&limit=1000');
  if (response.status !== 200) throw new Error(`GET /blocks answered ${response.status}: ${JSON.stringify(response.body)}`);
  return (response.body as { items: ApiBlock[] }).items;
}

/** True when a block target (address or CIDR) covers one of the host's addresses. */
export function blockCovers(target: string, host: LabHost): boolean {
  const addresses = host.ipv6 ? [host.ipv4, host.ipv6] : [host.ipv4];
  for (const address of addresses) {
    const parsed = ipaddr.parse(address);
    if (target.includes('/')) {
      const [range, bits] = ipaddr.parseCIDR(target);
      if (range.kind() === parsed.kind() && parsed.match(range, bits)) return true;
    } else if (ipaddr.parse(target).toString() === parsed.toString()) {
      return true;
    }
  }
  return false;
}

/**
 * Benign hosts covered by any of the blocks: the clients, and the target server itself, which a
 * flow that starts with one of its own packets makes a source too.
 */
export function benignBlocked(session: E2eSession, blocks: readonly ApiBlock[]): string[] {
  const hits: string[] = [];
  const hosts = [...session.topology.clients, session.topology.target];
  for (const block of blocks) {
    for (const host of hosts) if (blockCovers(block.target, host)) hits.push(`${host.name}:${block.target}`);
  }
  return hits;
}

export interface BenignWindow {
  requests: number;
  ok: number;
  failed: number;
  /** ok / requests over the window; null when no request finished in it. */
  successRate: number | null;
}

export function benignDelta(before: ReturnType<typeof totalStats>, after: ReturnType<typeof totalStats>): BenignWindow {
  const requests = after.requests - before.requests;
  const ok = after.ok - before.ok;
  return { requests, ok, failed: after.failed - before.failed, successRate: requests > 0 ? ok / requests : null };
}

export interface AttackMeasurement {
  scenario: string;
  host: string;
  address: string;
  durationS: number;
  targetMs: number;
  /** Earliest time the attack can have sent its first packet: tool start, or the block evidence's first flow start if earlier. */
  firstPacketAtMs: number;
  /** Block record's creation time in the gateway (GET /blocks createdAtMs). */
  blockCreatedAtMs: number | null;
  /** When the run first saw the attacker's address in the nft block set (polled every 250 ms). */
  kernelSeenAtMs: number | null;
  timeToBlockMs: number | null;
  timeToKernelMs: number | null;
  blockReason: string | null;
  /** Packets from the attacker counted at the target before the block was seen in nft, and after it until the attack ended. */
  packetsBeforeBlock: number;
  packetsAfterBlock: number | null;
  packetsTotal: number;
  benign: BenignWindow;
  benignBlocks: string[];
  /** Other blocks created while the attack ran (neither the attacker nor a benign client). */
  otherNewBlocks: string[];
  toolExitCode: number | undefined;
  toolOutputTail: string;
}

export interface AttackRunOptions {
  scenario: string;
  host: LabHost;
  durationS: number;
  targetMs: number;
  parameters?: Partial<AttackParameters>;
  benign: BenignTraffic;
  /** Called every poll while the attack runs (RSS and health sampling). */
  onPoll?: () => Promise<void>;
  /** Target counter to read: the host's own (default) or `other` for forged sources. */
  counter?: string;
}

/**
 * Runs one attack from one attacker host for its duration and watches, every 250 ms, the
 * gateway's active blocks (GET /blocks) and the kernel's block sets. Packets from the attacker are
 * counted at the target: up to the moment its block is seen in nft, and from then to the end of
 * the attack plus one second.
 */
export async function measureAttack(session: E2eSession, options: AttackRunOptions): Promise<AttackMeasurement> {
  const { topology } = session;
  const { host } = options;
  const counter = options.counter ?? host.name;
  const readCount = async () => (await readTargetCounters(topology.target.namespace, topology.target.counterTable))[counter]?.packets ?? 0;
  const blocksBefore = new Set((await activeBlocks(session)).map((block) => block.target));
  const countBefore = await readCount();
  const benignBefore = totalStats(options.benign.stats());
  const attack = startAttack(topology, options.scenario, { durationS: options.durationS, ...options.parameters }, { hosts: [host.name] });
  let outcome: AttackOutcome | undefined;
  void attack.done.then((result) => {
    outcome = result;
  });

  let block: ApiBlock | undefined;
  let kernelSeenAtMs: number | null = null;
  let countAtBlock: number | undefined;
  const benignBlocks = new Set<string>();
  const otherNewBlocks = new Set<string>();
  const hardDeadline = attack.startedAtMs + options.durationS * 1_000 + 30_000;
  while (outcome === undefined && Date.now() < hardDeadline) {
    const blocks = await activeBlocks(session);
    for (const hit of benignBlocked(session, blocks)) benignBlocks.add(hit);
    for (const entry of blocks) {
      if (blockCovers(entry.target, host)) block ??= entry;
      else if (!blocksBefore.has(entry.target) && benignBlocked(session, [entry]).length === 0) otherNewBlocks.add(entry.target);
    }
    if (block && kernelSeenAtMs === null) {
      const kernel = await listKernelBlocks(topology.gateway.namespace, session.tableFamily, session.tableName);
      if (kernel?.has(block.target)) {
        kernelSeenAtMs = Date.now();
        countAtBlock = await readCount();
      }
    }
    await options.onPoll?.();
    await sleep(POLL_INTERVAL_MS);
  }
  if (outcome === undefined) outcome = await attack.stop();
  // Packets still in flight when the tool exits arrive within this second.
  await sleep(1_000);
  const countEnd = await readCount();
  const benignAfter = totalStats(options.benign.stats());
  const toolStart = outcome.hosts[0]?.startedAtMs ?? attack.startedAtMs;
  const evidenceStart = block?.evidence ? block.evidence.windowStartUs / 1_000 : Number.POSITIVE_INFINITY;
  const firstPacketAtMs = Math.min(toolStart, evidenceStart);
  return {
    scenario: options.scenario,
    host: host.name,
    address: host.ipv4,
    durationS: options.durationS,
    targetMs: options.targetMs,
    firstPacketAtMs,
    blockCreatedAtMs: block?.createdAtMs ?? null,
    kernelSeenAtMs,
    timeToBlockMs: block ? block.createdAtMs - firstPacketAtMs : null,
    timeToKernelMs: kernelSeenAtMs === null ? null : kernelSeenAtMs - firstPacketAtMs,
    blockReason: block?.reason ?? null,
    packetsBeforeBlock: (countAtBlock ?? countEnd) - countBefore,
    packetsAfterBlock: countAtBlock === undefined ? null : countEnd - countAtBlock,
    packetsTotal: countEnd - countBefore,
    benign: benignDelta(benignBefore, benignAfter),
    benignBlocks: [...benignBlocks],
    otherNewBlocks: [...otherNewBlocks],
    toolExitCode: outcome.hosts[0]?.exitCode,
    toolOutputTail: (outcome.hosts[0]?.outputTail ?? '').slice(-400),
  };
}
