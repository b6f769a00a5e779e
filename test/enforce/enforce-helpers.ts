import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BlockRequest } from '../../src/enforce/block.ts';
import type { EnforceOptionsInput } from '../../src/enforce/options.ts';

/** Runs nft inside a test namespace and returns stdout; throws with stderr on failure. */
export async function nft(ns: string, args: string[], input?: string): Promise<string> {
  const result = await execa('ip', ['netns', 'exec', ns, 'nft', ...args], { input: input ?? '', reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) throw new Error(`nft ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export interface ListedElement {
  key: string;
  timeoutS?: number;
  expiresS?: number;
  comment?: string;
}

/** Elements of one set of a table as nft lists them. */
export async function listSet(ns: string, family: string, table: string, set: string): Promise<ListedElement[]> {
  const parsed = JSON.parse(await nft(ns, ['-j', 'list', 'set', family, table, set])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  const elements = parsed.nftables.find((item) => item.set)?.set?.elem ?? [];
  return elements.map((raw) => {
    const elem = (raw as { elem?: Record<string, unknown> }).elem;
    const value = elem ? elem.val : raw;
    const key = typeof value === 'string' ? value : `${(value as { prefix: { addr: string; len: number } }).prefix.addr}/${(value as { prefix: { len: number } }).prefix.len}`;
    return { key, timeoutS: elem?.timeout as number | undefined, expiresS: elem?.expires as number | undefined, comment: elem?.comment as string | undefined };
  });
}

export async function tableExists(ns: string, family: string, table: string): Promise<boolean> {
  const result = await execa('ip', ['netns', 'exec', ns, 'nft', 'list', 'counters', 'table', family, table], { reject: false });
  return result.exitCode === 0;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function request(target: string, overrides: Partial<BlockRequest> = {}): BlockRequest {
  return { target, durationMs: 60_000, reason: 'test', origin: 'manual', decisionId: `t-${target.replace(/[^0-9a-f]/gi, '')}`, ...overrides };
}

/** Creates a fresh state directory; remove it with `removeDir` in teardown. */
export async function stateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fg-enforce-'));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Options for an enforcer that runs nft inside `ns`, with short intervals for tests. */
export function testOptions(ns: string, suffix: string, dir: string, extra: EnforceOptionsInput = {}): EnforceOptionsInput {
  return { netns: ns, tableName: `fgtest_${suffix}`, stateDir: dir, tickMs: 50, reconcileIntervalMs: 3_600_000, retryInitialMs: 100, ...extra };
}
