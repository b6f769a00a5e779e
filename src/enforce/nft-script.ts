import type { SynTrapOptionsSchema } from './options.ts';
import type { Static } from '@sinclair/typebox';
import { BLOCK_SETS, type BlockSetName, type ChangeGroup, type SetElement } from './backend.ts';

/** Everything that shapes our table except the blocks themselves. */
export interface TableLayout {
  /** `inet` in router mode, `bridge` in bridge mode. */
  family: 'inet' | 'bridge';
  name: string;
  setSize: number;
  /** Normalised allowlist entries (loopback included), per address family. */
  allow4: readonly string[];
  allow6: readonly string[];
  synTrap: Static<typeof SynTrapOptionsSchema>;
}

/** Named counter of the drop rule of each set. */
export function counterName(set: BlockSetName | 'syntrap4' | 'syntrap6'): string {
  return `dropped_${set}`;
}

const DECISION_ID = /^[A-Za-z0-9._:@/+-]{1,100}$/;

/** True when a decision id can go into an element comment without quoting problems. */
export function isValidComment(comment: string): boolean {
  return DECISION_ID.test(comment);
}

/**
 * Renders the start-up transaction: create-if-absent, delete, then the whole table with every
 * restored element. nft applies it as one transaction, so packets never see a missing table.
 */
export function renderInstall(layout: TableLayout, restore: readonly SetElement[]): string {
  const { family, name } = layout;
  const lines = [`table ${family} ${name} {}`, `delete table ${family} ${name}`, `table ${family} ${name} {`];
  for (const set of BLOCK_SETS) lines.push(`  counter ${counterName(set)} {}`);
  if (layout.synTrap.enabled) {
    lines.push(`  counter ${counterName('syntrap4')} {}`, `  counter ${counterName('syntrap6')} {}`);
  }

  lines.push(allowSet('allow4', 'ipv4_addr', layout.allow4), allowSet('allow6', 'ipv6_addr', layout.allow6));
  for (const set of BLOCK_SETS) {
    const type = set.endsWith('4') ? 'ipv4_addr' : 'ipv6_addr';
    const flags = set.startsWith('prefixes') ? 'interval, timeout' : 'timeout';
    lines.push(`  set ${set} { type ${type}; flags ${flags}; size ${layout.setSize}; }`);
  }

  if (layout.synTrap.enabled) {
    const { setSize, timeoutMs } = layout.synTrap;
    for (const version of ['4', '6']) {
      const type = version === '4' ? 'ipv4_addr' : 'ipv6_addr';
      lines.push(`  set syntrap${version} { type ${type}; flags dynamic, timeout; timeout ${timeoutMs}ms; size ${setSize}; }`);
      // The meter only needs to remember a source for about one rate window.
      lines.push(`  set synmeter${version} { type ${type}; flags dynamic, timeout; timeout 10s; size ${setSize}; }`);
    }
  }

  // Priority -300 is `raw` in the inet family: before conntrack (-200), so dropped floods never
  // create conntrack entries. The bridge family has no `raw` name; -300 is its earliest slot.
  lines.push('  chain prerouting {', `    type filter hook prerouting priority -300; policy accept;`);
  lines.push('    ip saddr @allow4 return', '    ip6 saddr @allow6 return');
  for (const set of BLOCK_SETS) {
    const match = set.endsWith('4') ? 'ip saddr' : 'ip6 saddr';
    lines.push(`    ${match} @${set} counter name ${counterName(set)} drop`);
  }
  if (layout.synTrap.enabled) {
    const { ratePerSecond, burstPackets } = layout.synTrap;
    for (const [version, match] of [
      ['4', 'ip saddr'],
      ['6', 'ip6 saddr'],
    ] as const) {
      lines.push(`    ${match} @syntrap${version} counter name ${counterName(`syntrap${version}`)} drop`);
      lines.push(
        `    tcp flags & (fin|syn|rst|ack) == syn update @synmeter${version} { ${match} limit rate over ${ratePerSecond}/second burst ${burstPackets} packets } add @syntrap${version} { ${match} } counter name ${counterName(`syntrap${version}`)} drop`,
      );
    }
  }
  lines.push('  }', '}');

  lines.push(...renderAdds(family, name, restore));
  return lines.join('\n') + '\n';
}

/**
 * Renders one batch. Deletes come first, each as `add` with a short timeout followed by `delete`.
 * The add makes a delete of an already expired element succeed instead of failing the whole
 * batch. (`destroy element` does this natively but needs nft 1.0.8 and kernel 6.3.) Adds follow,
 * so a group of delete and add re-creates the element with a fresh timer on every kernel.
 */
export function renderChanges(family: 'inet' | 'bridge', table: string, groups: readonly ChangeGroup[]): string {
  const lines: string[] = [];
  const adds: SetElement[] = [];
  const deletes = new Map<string, string[]>();
  for (const group of groups) {
    for (const change of group.changes) {
      if (change.op === 'delete') {
        const keys = deletes.get(change.element.set) ?? [];
        keys.push(change.element.key);
        deletes.set(change.element.set, keys);
      } else {
        adds.push(change.element);
      }
    }
  }
  for (const [set, keys] of deletes) {
    for (let start = 0; start < keys.length; start += ELEMENTS_PER_STATEMENT) {
      const chunk = keys.slice(start, start + ELEMENTS_PER_STATEMENT);
      lines.push(`add element ${family} ${table} ${set} { ${chunk.map((key) => `${key} timeout 1s`).join(', ')} }`);
      lines.push(`delete element ${family} ${table} ${set} { ${chunk.join(', ')} }`);
    }
  }
  lines.push(...renderAdds(family, table, adds));
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** Elements per `add element` statement; smaller statements keep nft's error output short. */
const ELEMENTS_PER_STATEMENT = 1_000;

function renderAdds(family: string, table: string, elements: readonly SetElement[]): string[] {
  const bySet = new Map<BlockSetName, string[]>();
  for (const element of elements) {
    const list = bySet.get(element.set) ?? [];
    list.push(renderElement(element));
    bySet.set(element.set, list);
  }
  const lines: string[] = [];
  for (const [set, list] of bySet) {
    for (let start = 0; start < list.length; start += ELEMENTS_PER_STATEMENT) {
      lines.push(`add element ${family} ${table} ${set} { ${list.slice(start, start + ELEMENTS_PER_STATEMENT).join(', ')} }`);
    }
  }
  return lines;
}

function renderElement(element: SetElement): string {
  const timeoutMs = Math.max(1, Math.round(element.timeoutMs));
  let text = `${element.key} timeout ${timeoutMs}ms`;
  if (element.expiresMs !== undefined) {
    text += ` expires ${Math.min(timeoutMs, Math.max(1, Math.round(element.expiresMs)))}ms`;
  }
  if (element.comment !== undefined) {
    if (!isValidComment(element.comment)) throw new Error(`element comment ${JSON.stringify(element.comment)} reached the renderer unchecked`);
    text += ` comment "${element.comment}"`;
  }
  return text;
}

function allowSet(name: string, type: string, elements: readonly string[]): string {
  const body = elements.length > 0 ? ` elements = { ${elements.join(', ')} }` : '';
  return `  set ${name} { type ${type}; flags interval; auto-merge;${body} }`;
}
