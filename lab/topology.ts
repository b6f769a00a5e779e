import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { labError } from '../src/errors/lab.ts';
import { INSIDE_IPV4_PREFIX, INSIDE_IPV6_PREFIX, OUTSIDE_IPV4_PREFIX, OUTSIDE_IPV6_PREFIX } from './addresses.ts';
import { ip, nsRun } from './exec.ts';
import { LAB_PREFIX, writeState } from './lab-state.ts';
import { generateSite, type SiteManifest } from './site.ts';
import { installTargetCounters } from './target-counters.ts';
import { startTargetServices } from './target-services.ts';
import { down } from './teardown.ts';

export { LAB_PREFIX, REPO_ROOT, STATE_DIR, listRuns, loadTopology } from './lab-state.ts';
export { down, removeStaleRuns, existingLabNamespaces } from './teardown.ts';
export { startDetached } from './target-services.ts';

export type LabMode = 'router' | 'bridge';
export type HostRole = 'benign' | 'attacker' | 'target' | 'gateway' | 'switch';

export interface LabHost {
  /** Short role name: `c1`…, `a1`…, `tg`, `gw`. */
  name: string;
  role: HostRole;
  namespace: string;
  /** The host's interface toward the lab network. */
  interface: string;
  ipv4: string;
  /** Present on hosts with IPv6 enabled (benign clients, gateway, target). */
  ipv6?: string;
}

export interface LabTopology {
  runId: string;
  mode: LabMode;
  /** Folder with the site, nginx files and logs of this run. */
  workDir: string;
  namespaces: string[];
  gateway: {
    namespace: string;
    /** Interface toward clients and attackers: the capture point. */
    outsideInterface: string;
    /** Interface toward the target. */
    insideInterface: string;
    /** Bridge joining the two interfaces (bridge mode only). */
    bridge?: string;
    /** Gateway addresses (router mode only). */
    outsideIpv4?: string;
    outsideIpv6?: string;
    insideIpv4?: string;
    insideIpv6?: string;
  };
  /** Namespace holding the bridge that connects clients, attackers and the gateway. */
  switchNamespace: string;
  target: LabHost & {
    httpPort: number;
    udpPort: number;
    /** nft table in the target namespace whose named counters count packets per source. */
    counterTable: string;
  };
  clients: LabHost[];
  attackers: LabHost[];
  site: SiteManifest;
  createdAtMs: number;
}

export interface UpOptions {
  mode?: LabMode;
  /** Benign client namespaces, 1–20. */
  clientCount?: number;
  /** Attacker namespaces, 1–20. */
  attackerCount?: number;
  /** Seed of the generated site. */
  seed?: number;
  /** Marks a lab meant to outlive the calling process (`npm run lab -- up`). */
  persistent?: boolean;
}

const TARGET_HOST_NUMBER = 10;
const CLIENT_HOST_BASE = 10;
const ATTACKER_HOST_BASE = 100;
const HTTP_PORT = 80;
const UDP_PORT = 53;
const OFFLOADS = ['gro', 'lro', 'tso', 'gso'];

function newRunId(): string {
  return randomBytes(2).toString('hex');
}

/** Interface or namespace name of one role in one run (at most 15 characters). */
function labName(runId: string, role: string): string {
  const name = `${LAB_PREFIX}${runId}-${role}`;
  if (name.length > 15) throw new Error(`lab name '${name}' exceeds the 15-character interface name limit`);
  return name;
}

function planHosts(runId: string, mode: LabMode, clientCount: number, attackerCount: number) {
  const v4Bits = mode === 'router' ? 24 : 16;
  const v6Bits = mode === 'router' ? 64 : 48;
  const host = (name: string, role: HostRole, v4: string, v6: string | undefined): LabHost => ({
    name,
    role,
    namespace: labName(runId, name),
    interface: labName(runId, name),
    ipv4: v4,
    ipv6: v6,
  });
  const clients = Array.from({ length: clientCount }, (_, i) => {
    const n = CLIENT_HOST_BASE + i + 1;
    return host(`c${i + 1}`, 'benign', `${OUTSIDE_IPV4_PREFIX}.${n}`, `${OUTSIDE_IPV6_PREFIX}::${n}`);
  });
  const attackers = Array.from({ length: attackerCount }, (_, i) => {
    const n = ATTACKER_HOST_BASE + i + 1;
    return host(`a${i + 1}`, 'attacker', `${OUTSIDE_IPV4_PREFIX}.${n}`, undefined);
  });
  const target = host('tg', 'target', `${INSIDE_IPV4_PREFIX}.${TARGET_HOST_NUMBER}`, `${INSIDE_IPV6_PREFIX}::${TARGET_HOST_NUMBER}`);
  return { clients, attackers, target, v4Bits, v6Bits };
}

/**
 * Creates the lab: a switch namespace with a bridge for the outside segment, benign client and
 * attacker namespaces on it, a gateway namespace between the outside segment and the target, and
 * the target running nginx and a DNS-like UDP responder. On any failure it removes what it
 * created and rethrows.
 */
export async function up(options: UpOptions = {}): Promise<LabTopology> {
  if (process.getuid?.() !== 0) {
    throw labError('FG_ERR_LAB_NOT_ROOT', `the lab must run as root (uid is ${process.getuid?.()}); run it with sudo.`);
  }
  const mode = options.mode ?? 'router';
  if (mode !== 'router' && mode !== 'bridge') {
    throw labError('FG_ERR_LAB_BAD_OPTION', `mode '${String(mode)}' is invalid; use 'router' or 'bridge'.`);
  }
  const clientCount = options.clientCount ?? 4;
  const attackerCount = options.attackerCount ?? 3;
  for (const [name, value] of [['clientCount', clientCount], ['attackerCount', attackerCount]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 20) {
      throw labError('FG_ERR_LAB_BAD_OPTION', `${name} ${value} is invalid; use an integer from 1 to 20.`);
    }
  }

  const runId = newRunId();
  const workDir = join('/tmp', `flowguard-lab-${runId}`);
  const plan = planHosts(runId, mode, clientCount, attackerCount);
  const switchNamespace = labName(runId, 'sw');
  const gatewayNamespace = labName(runId, 'gw');
  const namespaces = [switchNamespace, gatewayNamespace, plan.target.namespace, ...plan.clients.map((h) => h.namespace), ...plan.attackers.map((h) => h.namespace)];
  // The state file is written before anything exists, so `down` finds a half-built lab too.
  const owner = { ownerPid: process.pid, persistent: options.persistent ?? false };
  await writeState({ runId, namespaces, workDir, ...owner });

  try {
    await mkdir(workDir, { recursive: true });
    for (const namespace of namespaces) {
      await ip(['netns', 'add', namespace]);
      await ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    }
    const topology = await wire(runId, mode, workDir, plan, switchNamespace, gatewayNamespace, namespaces, options.seed ?? 1);
    await writeState({ runId, namespaces, workDir, ...owner, topology });
    return topology;
  } catch (err) {
    await down(runId).catch(() => undefined);
    throw err;
  }
}

async function sysctl(namespace: string, settings: Record<string, string | number>): Promise<void> {
  const args = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  await nsRun(namespace, 'sysctl', ['-q', '-w', ...args]);
}

async function disableOffloads(namespace: string, device: string): Promise<void> {
  // Offloads merge or split segments; the capture must show the packets that were really sent.
  // A feature the driver cannot change (LRO on veth) is skipped.
  for (const feature of OFFLOADS) {
    await nsRun(namespace, 'ethtool', ['-K', device, feature, 'off'], { allowFailure: true });
  }
}

/** Creates a veth pair with each end directly inside its namespace and brings both up. */
async function veth(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
  await ip(['-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
  for (const [ns, name] of [[nsA, nameA], [nsB, nameB]]) {
    await ip(['-n', ns, 'link', 'set', name, 'up']);
    await disableOffloads(ns, name);
  }
}

async function wire(
  runId: string,
  mode: LabMode,
  workDir: string,
  plan: ReturnType<typeof planHosts>,
  switchNamespace: string,
  gatewayNamespace: string,
  namespaces: string[],
  seed: number,
): Promise<LabTopology> {
  const { clients, attackers, target, v4Bits, v6Bits } = plan;
  const switchBridge = labName(runId, 'sw');
  await ip(['-n', switchNamespace, 'link', 'add', switchBridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
  await ip(['-n', switchNamespace, 'link', 'set', switchBridge, 'up']);
  await sysctl(switchNamespace, { 'net.ipv6.conf.all.disable_ipv6': 1 });
  await disableOffloads(switchNamespace, switchBridge);

  // Outside hosts: one veth each to the switch.
  for (const host of [...clients, ...attackers]) {
    const port = labName(runId, `s${host.name}`);
    await veth(host.namespace, host.interface, switchNamespace, port);
    await ip(['-n', switchNamespace, 'link', 'set', port, 'master', switchBridge]);
    if (host.role === 'attacker') await sysctl(host.namespace, { 'net.ipv6.conf.all.disable_ipv6': 1 });
    else await sysctl(host.namespace, { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    await ip(['-n', host.namespace, 'addr', 'add', `${host.ipv4}/${v4Bits}`, 'dev', host.interface]);
    if (host.ipv6) await ip(['-n', host.namespace, '-6', 'addr', 'add', `${host.ipv6}/${v6Bits}`, 'dev', host.interface, 'nodad']);
  }

  // Gateway: outside interface to the switch, inside interface to the target.
  const outsideInterface = labName(runId, 'gwo');
  const insideInterface = labName(runId, 'gwi');
  const switchUplink = labName(runId, 'sgw');
  await veth(gatewayNamespace, outsideInterface, switchNamespace, switchUplink);
  await ip(['-n', switchNamespace, 'link', 'set', switchUplink, 'master', switchBridge]);
  await veth(gatewayNamespace, insideInterface, target.namespace, target.interface);
  // rp_filter off: spoofed-source floods must reach the target as they would a real one.
  await sysctl(gatewayNamespace, {
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
    'net.ipv6.conf.all.accept_dad': 0,
    'net.ipv6.conf.default.accept_dad': 0,
  });
  await sysctl(target.namespace, { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
  await ip(['-n', target.namespace, 'addr', 'add', `${target.ipv4}/${v4Bits}`, 'dev', target.interface]);
  await ip(['-n', target.namespace, '-6', 'addr', 'add', `${target.ipv6}/${v6Bits}`, 'dev', target.interface, 'nodad']);

  const gateway: LabTopology['gateway'] = { namespace: gatewayNamespace, outsideInterface, insideInterface };
  if (mode === 'router') {
    Object.assign(gateway, {
      outsideIpv4: `${OUTSIDE_IPV4_PREFIX}.1`,
      outsideIpv6: `${OUTSIDE_IPV6_PREFIX}::1`,
      insideIpv4: `${INSIDE_IPV4_PREFIX}.1`,
      insideIpv6: `${INSIDE_IPV6_PREFIX}::1`,
    });
    await ip(['-n', gatewayNamespace, 'addr', 'add', `${gateway.outsideIpv4}/24`, 'dev', outsideInterface]);
    await ip(['-n', gatewayNamespace, '-6', 'addr', 'add', `${gateway.outsideIpv6}/64`, 'dev', outsideInterface, 'nodad']);
    await ip(['-n', gatewayNamespace, 'addr', 'add', `${gateway.insideIpv4}/24`, 'dev', insideInterface]);
    await ip(['-n', gatewayNamespace, '-6', 'addr', 'add', `${gateway.insideIpv6}/64`, 'dev', insideInterface, 'nodad']);
    await sysctl(gatewayNamespace, { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
    // Only the lab's own prefixes are routed: no host has a default route to anywhere.
    for (const host of [...clients, ...attackers]) {
      await ip(['-n', host.namespace, 'route', 'add', `${INSIDE_IPV4_PREFIX}.0/24`, 'via', gateway.outsideIpv4!]);
      if (host.ipv6) await ip(['-n', host.namespace, '-6', 'route', 'add', `${INSIDE_IPV6_PREFIX}::/64`, 'via', gateway.outsideIpv6!]);
    }
    await ip(['-n', target.namespace, 'route', 'add', `${OUTSIDE_IPV4_PREFIX}.0/24`, 'via', gateway.insideIpv4!]);
    await ip(['-n', target.namespace, '-6', 'route', 'add', `${OUTSIDE_IPV6_PREFIX}::/64`, 'via', gateway.insideIpv6!]);
  } else {
    const bridge = labName(runId, 'br');
    gateway.bridge = bridge;
    await ip(['-n', gatewayNamespace, 'link', 'add', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await ip(['-n', gatewayNamespace, 'link', 'set', outsideInterface, 'master', bridge]);
    await ip(['-n', gatewayNamespace, 'link', 'set', insideInterface, 'master', bridge]);
    await ip(['-n', gatewayNamespace, 'link', 'set', bridge, 'up']);
    await disableOffloads(gatewayNamespace, bridge);
  }
  // Replies to spoofed sources end here instead of wandering toward the gateway.
  await ip(['-n', target.namespace, 'route', 'add', 'blackhole', 'default']);
  await ip(['-n', target.namespace, '-6', 'route', 'add', 'blackhole', 'default']);

  const site = await generateSite(join(workDir, 'site'), seed);
  const counterTable = labName(runId, 'count').replace('-', '_');
  await installTargetCounters(target.namespace, counterTable, [...clients, ...attackers]);
  const topology: LabTopology = {
    runId,
    mode,
    workDir,
    namespaces,
    gateway,
    switchNamespace,
    target: { ...target, httpPort: HTTP_PORT, udpPort: UDP_PORT, counterTable },
    clients,
    attackers,
    site,
    createdAtMs: Date.now(),
  };
  await startTargetServices(topology);
  return topology;
}

/** Lists every address of a lab host, IPv4 first. */
export function hostAddresses(host: LabHost): string[] {
  return host.ipv6 ? [host.ipv4, host.ipv6] : [host.ipv4];
}

