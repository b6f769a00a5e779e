import { nsRun } from './exec.ts';
import type { LabHost } from './topology.ts';

/** Packets and bytes counted for one source. */
export interface PacketCount {
  packets: number;
  bytes: number;
}

/** Counter names: one per outside host (`c1`, `a1`, …) plus `other` for every other source. */
export type TargetCounts = Record<string, PacketCount>;

/**
 * Installs an nft table in the target namespace with one named counter per outside host and one
 * for every other source address (spoofed floods). The chain runs at prerouting, so it counts what
 * arrived at the target, before any socket or conntrack decision. The table disappears with the
 * namespace.
 */
export async function installTargetCounters(namespace: string, table: string, hosts: LabHost[]): Promise<void> {
  const lines = [`table inet ${table} {`];
  for (const host of hosts) lines.push(`  counter ${host.name} {}`);
  lines.push('  counter other {}');
  lines.push('  chain count {');
  lines.push('    type filter hook prerouting priority -300; policy accept;');
  for (const host of hosts) {
    lines.push(`    ip saddr ${host.ipv4} counter name ${host.name} accept`);
    if (host.ipv6) lines.push(`    ip6 saddr ${host.ipv6} counter name ${host.name} accept`);
  }
  lines.push('    iifname "lo" accept');
  lines.push('    meta nfproto ipv4 counter name other');
  lines.push('  }');
  lines.push('}');
  await nsRun(namespace, 'nft', ['-f', '-'], { input: lines.join('\n') + '\n' });
}

interface NftCounterObject {
  counter?: { name: string; packets: number; bytes: number };
}

/** Reads the target's counters: packets from each outside host that reached the target. */
export async function readTargetCounters(namespace: string, table: string): Promise<TargetCounts> {
  const result = await nsRun(namespace, 'nft', ['-j', 'list', 'counters', 'table', 'inet', table]);
  const parsed = JSON.parse(result.stdout) as { nftables: NftCounterObject[] };
  const counts: TargetCounts = {};
  for (const entry of parsed.nftables) {
    if (entry.counter) counts[entry.counter.name] = { packets: entry.counter.packets, bytes: entry.counter.bytes };
  }
  return counts;
}
