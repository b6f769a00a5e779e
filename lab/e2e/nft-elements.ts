import { nsRun } from '../exec.ts';

const BLOCK_SET_NAMES = new Set(['hosts4', 'hosts6', 'prefixes4', 'prefixes6']);

interface NftSetObject {
  set?: { name: string; elem?: unknown[] };
}

function elementText(element: unknown): string | undefined {
  if (typeof element === 'string') return element;
  if (element && typeof element === 'object') {
    const record = element as Record<string, unknown>;
    if ('elem' in record) return elementText((record.elem as Record<string, unknown>).val);
    if ('prefix' in record) {
      const prefix = record.prefix as { addr: string; len: number };
      return `${prefix.addr}/${prefix.len}`;
    }
    if ('range' in record) return (record.range as string[]).join('-');
  }
  return undefined;
}

/**
 * Reads the addresses and prefixes in the gateway table's block sets from the kernel with
 * `nft -j list table` inside the gateway namespace. Undefined when the table does not exist.
 */
export async function listKernelBlocks(namespace: string, family: 'inet' | 'bridge', table: string): Promise<Set<string> | undefined> {
  const result = await nsRun(namespace, 'nft', ['-j', 'list', 'table', family, table], { allowFailure: true, timeoutMs: 10_000 });
  if (result.exitCode !== 0) return undefined;
  const parsed = JSON.parse(result.stdout) as { nftables: NftSetObject[] };
  const found = new Set<string>();
  for (const entry of parsed.nftables) {
    if (!entry.set || !BLOCK_SET_NAMES.has(entry.set.name)) continue;
    for (const element of entry.set.elem ?? []) {
      const text = elementText(element);
      if (text !== undefined) found.add(text);
    }
  }
  return found;
}

/** Deletes the gateway's table (teardown of a run whose gateway kept it on stop). */
export async function deleteTable(namespace: string, family: 'inet' | 'bridge', table: string): Promise<void> {
  await nsRun(namespace, 'nft', ['delete', 'table', family, table], { allowFailure: true });
}
