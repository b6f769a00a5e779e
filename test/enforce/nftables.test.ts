import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyWithBisection } from '../../src/enforce/apply-batch.ts';
import type { BlockRecord } from '../../src/enforce/block.ts';
import { Enforcer } from '../../src/enforce/enforcer.ts';
import { NftablesBackend } from '../../src/enforce/nftables-backend.ts';
import { isFlowguardError } from '../../src/errors/index.ts';
import { canUseNamespaces, TestNetwork } from '../helpers/netns.ts';
import { listSet, nft, removeDir, request, stateDir, tableExists, testOptions, waitFor } from './enforce-helpers.ts';

const canRun = await canUseNamespaces();
if (!canRun) process.stderr.write('enforce nftables tests: skipped because they need root and iproute2 to create a network namespace\n');

describe.skipIf(!canRun)('Enforcer against real nft in a namespace', () => {
  const net = new TestNetwork();
  let ns: string;
  let serial = 0;
  const enforcers: Enforcer[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    ns = await net.addNamespace('enf');
  });

  afterAll(async () => {
    for (const enforcer of enforcers) await enforcer.destroy();
    for (const dir of dirs) await removeDir(dir);
    await net.destroy();
  });

  /** Starts an enforcer with its own table and state directory. */
  async function startEnforcer(extra: Parameters<typeof testOptions>[3] = {}, dir?: string) {
    const state = dir ?? (await stateDir());
    if (!dir) dirs.push(state);
    const options = testOptions(ns, `${net.suffix}_${serial++}`, state, { monitor: false, ...extra });
    const enforcer = new Enforcer(options);
    enforcers.push(enforcer);
    await enforcer.start();
    return { enforcer, table: String(options.tableName), dir: state };
  }

  it('blocks, lists and removes hosts and prefixes', async () => {
    const { enforcer, table } = await startEnforcer();
    const targets = { hosts4: '192.0.2.7', hosts6: '2001:db8::7', prefixes4: '198.51.100.0/24', prefixes6: '2001:db8:100::/48' };
    const records = await Promise.all(Object.values(targets).map((target) => enforcer.block(request(target))));
    for (const [set, target] of Object.entries(targets)) {
      const elements = await listSet(ns, 'inet', table, set);
      expect(elements.map((element) => element.key)).toEqual([target]);
      expect(elements[0].comment).toBe(request(target).decisionId);
      expect(elements[0].timeoutS).toBe(60);
    }
    expect(enforcer.list().map((record) => record.target).sort()).toEqual(Object.values(targets).sort());
    expect(enforcer.list({ family: 6, kind: 'prefix' }).map((record) => record.target)).toEqual(['2001:db8:100::/48']);
    expect(enforcer.get('2001:0db8::7')?.decisionId).toBe(records[1].decisionId);

    for (const target of Object.values(targets)) expect((await enforcer.unblock(target, { actor: 'test' }))?.target).toBe(target);
    for (const set of Object.keys(targets)) expect(await listSet(ns, 'inet', table, set)).toEqual([]);
    expect(await enforcer.unblock('192.0.2.7')).toBeUndefined();
    expect(enforcer.list()).toEqual([]);
    await enforcer.close();
  });

  it('normalises mapped and host-bit addresses before nft', async () => {
    const { enforcer, table } = await startEnforcer();
    const mapped = await enforcer.block(request('::ffff:192.0.2.8'));
    const prefix = await enforcer.block(request('198.51.100.77/24'));
    expect(mapped.target).toBe('192.0.2.8');
    expect(prefix.target).toBe('198.51.100.0/24');
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['192.0.2.8']);
    expect((await listSet(ns, 'inet', table, 'prefixes4')).map((element) => element.key)).toEqual(['198.51.100.0/24']);
    expect((await listSet(ns, 'inet', table, 'hosts6')).length).toBe(0);
    await enforcer.close();
  });

  it('blocks a host inside a blocked prefix', async () => {
    const { enforcer, table } = await startEnforcer();
    await enforcer.block(request('198.51.100.0/24'));
    await enforcer.block(request('198.51.100.9'));
    await enforcer.block(request('2001:db8:5::/48'));
    await enforcer.block(request('2001:db8:5::9'));
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['198.51.100.9']);
    expect((await listSet(ns, 'inet', table, 'hosts6')).map((element) => element.key)).toEqual(['2001:db8:5::9']);
    await enforcer.unblock('198.51.100.0/24');
    expect(await listSet(ns, 'inet', table, 'prefixes4')).toEqual([]);
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['198.51.100.9']);
    await enforcer.close();
  });

  it('expires blocks in the kernel and the store', async () => {
    const { enforcer, table } = await startEnforcer();
    const expired: BlockRecord[] = [];
    enforcer.on('expire', (record: BlockRecord) => expired.push(record));
    await enforcer.block(request('192.0.2.20', { durationMs: 1_200 }));
    await enforcer.block(request('2001:db8::20', { durationMs: 1_200 }));
    await enforcer.block(request('192.0.2.21', { durationMs: 60_000 }));
    await waitFor(() => expired.length === 2, 5_000, 'two expire events');
    expect(expired.map((record) => record.target).sort()).toEqual(['192.0.2.20', '2001:db8::20']);
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['192.0.2.21']);
    expect(await listSet(ns, 'inet', table, 'hosts6')).toEqual([]);
    expect(enforcer.list().map((record) => record.target)).toEqual(['192.0.2.21']);
    await enforcer.close();
  });

  it('extends the kernel timer on re-block', async () => {
    const { enforcer, table } = await startEnforcer();
    await enforcer.block(request('192.0.2.30', { durationMs: 5_000, decisionId: 'first' }));
    await enforcer.block(request('2001:db8:30::/48', { durationMs: 5_000, decisionId: 'first6' }));
    const extended = await enforcer.block(request('192.0.2.30', { durationMs: 600_000, decisionId: 'second' }));
    await enforcer.block(request('2001:db8:30::/48', { durationMs: 600_000, decisionId: 'second6' }));
    const [host] = await listSet(ns, 'inet', table, 'hosts4');
    expect(host.timeoutS).toBe(600);
    expect(host.expiresS).toBeGreaterThan(590);
    expect(host.comment).toBe('second');
    const [prefix] = await listSet(ns, 'inet', table, 'prefixes6');
    expect(prefix.expiresS).toBeGreaterThan(590);
    expect(prefix.comment).toBe('second6');

    // A shorter re-block never shortens an active block.
    const shorter = await enforcer.block(request('192.0.2.30', { durationMs: 2_000, decisionId: 'third' }));
    expect(shorter.expiresAtMs).toBe(extended.expiresAtMs);
    const [after] = await listSet(ns, 'inet', table, 'hosts4');
    expect(after.expiresS).toBeGreaterThan(590);
    expect(after.comment).toBe('third');
    await enforcer.close();
  });

  it('applies the rest of a batch when nft rejects one element', async () => {
    const { enforcer, table } = await startEnforcer();
    // Another tool put a wider prefix into our interval set: ours overlaps it and nft refuses.
    await nft(ns, ['add', 'element', 'inet', table, 'prefixes4', '{ 10.9.0.0/16 timeout 1h }']);
    const hosts = ['192.0.2.41', '192.0.2.42', '192.0.2.43', '2001:db8::41', '2001:db8::42'];
    const results = await Promise.allSettled([...hosts.map((host) => enforcer.block(request(host))), enforcer.block(request('10.9.1.0/24'))]);
    expect(results.slice(0, hosts.length).every((result) => result.status === 'fulfilled')).toBe(true);
    const rejected = results[hosts.length];
    expect(rejected.status).toBe('rejected');
    const reason = (rejected as PromiseRejectedResult).reason as Error;
    expect(isFlowguardError(reason, 'FG_ERR_ENFORCE_ELEMENT_REJECTED')).toBe(true);
    expect(reason.message).toContain('10.9.1.0/24');
    expect(reason.message).toContain('interval overlaps');
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key).sort()).toEqual(hosts.slice(0, 3));
    expect((await listSet(ns, 'inet', table, 'hosts6')).length).toBe(2);
    expect(enforcer.get('10.9.1.0/24')).toBeUndefined();
    const stats = await enforcer.stats();
    expect(stats.batches.bisections).toBe(1);
    expect(stats.batches.elementsRejected).toBe(1);
    expect(enforcer.health().status).toBe('ok');
    await enforcer.close();
  });

  it('bisects a backend batch down to the malformed element', async () => {
    const { enforcer, table } = await startEnforcer();
    const backend = enforcer.backend;
    const element = (key: string) => ({ key, changes: [{ op: 'add' as const, element: { set: 'hosts4' as const, key, timeoutMs: 60_000 } }] });
    const groups = ['192.0.2.51', '192.0.2.52', '192.0.2.300', '192.0.2.54', '192.0.2.55'].map(element);
    const outcome = await applyWithBisection(backend, groups);
    expect(outcome.rejected.map((entry) => entry.group.key)).toEqual(['192.0.2.300']);
    expect(String(outcome.rejected[0].error.details.stderr)).toContain('192.0.2.300');
    expect(outcome.checks).toBeGreaterThan(1);
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((item) => item.key).sort()).toEqual(['192.0.2.51', '192.0.2.52', '192.0.2.54', '192.0.2.55']);
    expect(backend).toBeInstanceOf(NftablesBackend);
    await enforcer.close();
  });

  it('restores the remaining time after a restart', async () => {
    const first = await startEnforcer();
    await first.enforcer.block(request('192.0.2.60', { durationMs: 120_000, decisionId: 'keep-me' }));
    await first.enforcer.block(request('2001:db8:60::/48', { durationMs: 120_000, decisionId: 'keep-me6' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await first.enforcer.close();
    // Stop leaves blocks in place.
    expect((await listSet(ns, 'inet', first.table, 'hosts4')).map((element) => element.key)).toEqual(['192.0.2.60']);
    // A distro nftables restart or a reboot wipes the table; the next start restores it.
    await nft(ns, ['delete', 'table', 'inet', first.table]);

    const second = new Enforcer(testOptions(ns, first.table.slice('fgtest_'.length), first.dir, { monitor: false }));
    enforcers.push(second);
    await second.start();
    const [host] = await listSet(ns, 'inet', first.table, 'hosts4');
    expect(host.key).toBe('192.0.2.60');
    expect(host.comment).toBe('keep-me');
    expect(host.timeoutS).toBe(120);
    expect(host.expiresS).toBeLessThanOrEqual(118);
    expect(host.expiresS).toBeGreaterThan(100);
    const [prefix] = await listSet(ns, 'inet', first.table, 'prefixes6');
    expect(prefix.key).toBe('2001:db8:60::/48');
    expect(prefix.expiresS).toBeLessThanOrEqual(118);
    expect(second.get('192.0.2.60')?.decisionId).toBe('keep-me');
    await second.close();
  });

  it('reinstalls the table after someone deletes it', async () => {
    const { enforcer, table } = await startEnforcer({ monitor: true });
    await enforcer.block(request('192.0.2.70'));
    await enforcer.block(request('2001:db8:70::/48'));
    // Give `nft monitor` time to subscribe before the foreign change.
    await waitFor(async () => (await enforcer.stats()).nftProcessesSpawned > 0, 1_000, 'monitor start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await nft(ns, ['delete', 'table', 'inet', table]);
    await waitFor(async () => (await tableExists(ns, 'inet', table)) && (await listSet(ns, 'inet', table, 'hosts4')).length === 1, 10_000, 'the table to come back');
    expect((await listSet(ns, 'inet', table, 'prefixes6')).map((element) => element.key)).toEqual(['2001:db8:70::/48']);
    const stats = await enforcer.stats();
    expect(stats.reconcile.reinstalls).toBe(1);
    expect(stats.reconcile.monitorTriggers).toBeGreaterThanOrEqual(1);

    // An element another process adds to our set is removed again.
    await nft(ns, ['add', 'element', 'inet', table, 'hosts4', '{ 203.0.113.77 timeout 1h }']);
    await waitFor(async () => (await listSet(ns, 'inet', table, 'hosts4')).length === 1, 10_000, 'the foreign element to be removed');
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['192.0.2.70']);
    expect((await enforcer.stats()).reconcile.extra).toBe(1);
    await enforcer.close();
  });

  it('repairs missing, extra and drifting elements', async () => {
    const { enforcer, table } = await startEnforcer();
    for (const target of ['192.0.2.81', '192.0.2.82', '192.0.2.83']) await enforcer.block(request(target, { durationMs: 300_000 }));
    await nft(ns, ['-f', '-'], [
      `delete element inet ${table} hosts4 { 192.0.2.81 }`,
      `add element inet ${table} hosts4 { 203.0.113.50 timeout 1h }`,
      `delete element inet ${table} hosts4 { 192.0.2.82 }`,
      `add element inet ${table} hosts4 { 192.0.2.82 timeout 20s comment "t-192028" }`,
    ].join('\n') + '\n');
    const counts = await enforcer.reconcile();
    expect(counts).toMatchObject({ runs: 1, missing: 1, extra: 1, drift: 1, reinstalls: 0 });
    const elements = await listSet(ns, 'inet', table, 'hosts4');
    expect(elements.map((element) => element.key).sort()).toEqual(['192.0.2.81', '192.0.2.82', '192.0.2.83']);
    expect(elements.every((element) => (element.expiresS ?? 0) > 250)).toBe(true);
    // A second pass finds nothing left to repair.
    expect(await enforcer.reconcile()).toMatchObject({ runs: 2, missing: 1, extra: 1, drift: 1 });
    await enforcer.close();
  });

  it('keeps its cap below the set size and maps a full set', async () => {
    const { enforcer, table } = await startEnforcer({ setSize: 16, maxElementsPerSet: 14 });
    for (let i = 1; i <= 14; i++) await enforcer.block(request(`192.0.2.${100 + i}`));
    const capped = await enforcer.block(request('192.0.2.200')).catch((err: unknown) => err);
    expect(isFlowguardError(capped, 'FG_ERR_ENFORCE_CAPACITY')).toBe(true);
    expect((capped as Error).message).toContain('192.0.2.200');

    // Another tool fills the remaining room, so the kernel returns ENFILE, which we map.
    await nft(ns, ['add', 'element', 'inet', table, 'hosts4', '{ 203.0.113.1 timeout 1h, 203.0.113.2 timeout 1h }']);
    await enforcer.unblock('192.0.2.101');
    await nft(ns, ['add', 'element', 'inet', table, 'hosts4', '{ 203.0.113.3 timeout 1h }']);
    const full = await enforcer.block(request('192.0.2.201')).catch((err: unknown) => err);
    expect(isFlowguardError(full, 'FG_ERR_ENFORCE_SET_FULL')).toBe(true);
    expect((full as Error).message).toContain('Too many open files in system');
    expect(enforcer.get('192.0.2.201')).toBeUndefined();
    await enforcer.close();
  });

  it('retries a transiently failing batch and reports degraded health', async () => {
    const dir = await stateDir();
    dirs.push(dir);
    const flag = join(dir, 'nft-busy');
    const wrapper = join(dir, 'nft-wrapper');
    // Stands in for a kernel that returns EBUSY while the flag file exists.
    await writeFile(wrapper, `#!/bin/sh\nif [ -e '${flag}' ]; then echo 'Error: Could not process rule: Device or resource busy' >&2; exit 1; fi\nexec nft "$@"\n`);
    await chmod(wrapper, 0o755);
    const { enforcer, table } = await startEnforcer({ nftPath: wrapper, retryInitialMs: 100, retryMaxMs: 400 });
    await writeFile(flag, '');
    const first = await enforcer.block(request('192.0.2.90')).catch((err: unknown) => err);
    expect(isFlowguardError(first, 'FG_ERR_ENFORCE_COMMAND_FAILED')).toBe(true);
    expect(enforcer.health().status).toBe('degraded');
    expect(enforcer.health().reasons.join(' ')).toContain('Device or resource busy');
    expect(enforcer.get('192.0.2.90')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await rm(flag);
    await waitFor(() => enforcer.health().status === 'ok', 5_000, 'health to recover');
    expect((await listSet(ns, 'inet', table, 'hosts4')).map((element) => element.key)).toEqual(['192.0.2.90']);
    const stats = await enforcer.stats();
    expect(stats.batches.failed).toBeGreaterThanOrEqual(2);
    expect(stats.batches.bisections).toBe(0);
    await enforcer.close();
  });

  it('removes the table on stop only when asked', async () => {
    const persistent = await startEnforcer();
    await persistent.enforcer.block(request('192.0.2.95'));
    await persistent.enforcer.close();
    expect(await tableExists(ns, 'inet', persistent.table)).toBe(true);
    const removed = await startEnforcer({ removeOnStop: true });
    await removed.enforcer.block(request('192.0.2.96'));
    await removed.enforcer.close();
    expect(await tableExists(ns, 'inet', removed.table)).toBe(false);
  });
});
