import { afterEach, describe, expect, it } from 'vitest';
import type { BlockRecord } from '../../src/enforce/block.ts';
import { DryRunBackend } from '../../src/enforce/dry-run-backend.ts';
import { Enforcer, type UnblockEvent } from '../../src/enforce/enforcer.ts';
import { EnforceOptionsSchema, resolveEnforceOptions } from '../../src/enforce/options.ts';
import { isFlowguardError } from '../../src/errors/index.ts';
import { removeDir, request, stateDir } from './enforce-helpers.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startDryRun(extra: Parameters<typeof resolveEnforceOptions>[0] = {}) {
  const dir = await stateDir();
  const scripts: string[] = [];
  // Built only for its table layout, so the recording backend matches the options.
  const layoutSource = new Enforcer({ dryRun: true, stateDir: dir, tickMs: 20, ...extra });
  const backend = new DryRunBackend(layoutSource.layout, (script) => scripts.push(script));
  const withBackend = new Enforcer({ dryRun: true, stateDir: dir, tickMs: 20, ...extra }, { backend });
  cleanup.push(() => removeDir(dir), () => withBackend.destroy());
  await withBackend.start();
  return { enforcer: withBackend, backend, scripts, dir };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isFlowguardError(err) ? err.code : String(err);
  }
}

describe('enforcement options', () => {
  it('fills defaults and derives the cap', () => {
    const options = resolveEnforceOptions({});
    expect(options.tableName).toBe('flowguard');
    expect(options.mode).toBe('router');
    expect(options.maxElementsPerSet).toBeLessThan(options.setSize);
    expect(options.synTrap.enabled).toBe(false);
    expect(options.maxTimeoutMs).toBe(7 * 24 * 3600 * 1000);
    expect(EnforceOptionsSchema.properties.synTrap.properties.ratePerSecond.default).toBe(200);
  });

  it('reports every invalid key at once', () => {
    let caught: unknown;
    try {
      resolveEnforceOptions({ tableName: 'bad name;', tickMs: 5_000, extra: true } as never);
    } catch (err) {
      caught = err;
    }
    expect(isFlowguardError(caught, 'FG_ERR_ENFORCE_INVALID_OPTIONS')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('/tableName');
    expect(message).toContain('/tickMs');
    expect(message).toContain('extra');
  });

  it('rejects a cap at set size', () => {
    expect(() => resolveEnforceOptions({ setSize: 100, maxElementsPerSet: 100 })).toThrow(/maxElementsPerSet/);
  });
});

describe('Enforcer with the dry-run backend', () => {
  it('rejects protected and malformed requests with coded errors', async () => {
    const { enforcer } = await startDryRun({ allowlist: ['10.0.0.0/24'] });
    expect(await codeOf(enforcer.block(request('127.0.0.1')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('::1')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('0.0.0.0')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('224.0.0.1')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('10.0.0.7')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('10.0.0.0/16')))).toBe('FG_ERR_ENFORCE_PROTECTED_TARGET');
    expect(await codeOf(enforcer.block(request('not-an-address')))).toBe('FG_ERR_ENFORCE_INVALID_TARGET');
    expect(await codeOf(enforcer.block(request('192.0.2.1', { decisionId: 'has "quotes"' })))).toBe('FG_ERR_ENFORCE_INVALID_REQUEST');
    expect(await codeOf(enforcer.block(request('192.0.2.1', { durationMs: 10 })))).toBe('FG_ERR_ENFORCE_INVALID_REQUEST');
    expect(await codeOf(enforcer.block(request('192.0.2.1', { durationMs: Number.NaN })))).toBe('FG_ERR_ENFORCE_INVALID_REQUEST');
    expect(await codeOf(enforcer.block(request('192.0.2.1', { origin: 'other' as never })))).toBe('FG_ERR_ENFORCE_INVALID_REQUEST');
    expect(enforcer.list()).toEqual([]);
  });

  it('shortens durations to the maximum timeout', async () => {
    const { enforcer } = await startDryRun({ maxTimeoutMs: 60_000 });
    const record = await enforcer.block(request('192.0.2.1', { durationMs: 3_600_000 }));
    expect(record.durationMs).toBe(60_000);
    expect(record.expiresAtMs - record.createdAtMs).toBe(60_000);
  });

  it('rejects a prefix overlapping another prefix block', async () => {
    const { enforcer } = await startDryRun();
    await enforcer.block(request('198.51.100.0/24'));
    expect(await codeOf(enforcer.block(request('198.51.0.0/16')))).toBe('FG_ERR_ENFORCE_PREFIX_OVERLAP');
    expect(await codeOf(enforcer.block(request('198.51.100.128/25')))).toBe('FG_ERR_ENFORCE_PREFIX_OVERLAP');
    // The same prefix again extends it.
    expect((await enforcer.block(request('198.51.100.0/24'))).target).toBe('198.51.100.0/24');
  });

  it('coalesces changes of one tick into one batch', async () => {
    const { enforcer, scripts } = await startDryRun({ tickMs: 200 });
    const before = scripts.length;
    const unblocked: UnblockEvent[] = [];
    const blocked: BlockRecord[] = [];
    enforcer.on('unblock', (event: UnblockEvent) => unblocked.push(event));
    enforcer.on('block', (record: BlockRecord) => blocked.push(record));
    const blocks = Array.from({ length: 50 }, (_, i) => enforcer.block(request(`192.0.2.${i + 1}`)));
    await Promise.all(blocks);
    expect(scripts.length).toBe(before + 1);
    expect(scripts.at(-1)!.match(/^add element inet flowguard hosts4 \{/gm)?.length).toBe(2);
    expect(blocked.length).toBe(50);

    const first = enforcer.block(request('203.0.113.9'));
    const second = enforcer.unblock('192.0.2.1', { actor: 'operator' });
    await Promise.all([first, second]);
    expect(scripts.length).toBe(before + 2);
    expect(unblocked.map((event) => [event.record.target, event.actor])).toEqual([['192.0.2.1', 'operator']]);
    expect(enforcer.list().length).toBe(50);
  });

  it('keeps a block for the grace period on unblock', async () => {
    const { enforcer } = await startDryRun();
    await enforcer.block(request('192.0.2.5', { durationMs: 600_000 }));
    const shortened = await enforcer.unblock('192.0.2.5', { graceMs: 5_000 });
    expect(shortened!.expiresAtMs - Date.now()).toBeLessThanOrEqual(5_000);
    expect(enforcer.get('192.0.2.5')).toBeDefined();
  });

  it('reinstalls a deleted table with every active block', async () => {
    const { enforcer, backend } = await startDryRun();
    await enforcer.block(request('192.0.2.8'));
    await enforcer.block(request('2001:db8::/32'));
    backend.simulateTableDeleted();
    const counts = await enforcer.reconcile();
    expect(counts.reinstalls).toBe(1);
    const state = await backend.read();
    expect(state!.elements.map((element) => element.key).sort()).toEqual(['192.0.2.8', '2001:db8::/32']);
  });

  it('keeps a change made while the table is missing', async () => {
    const { enforcer, backend } = await startDryRun({ retryInitialMs: 50 });
    backend.simulateTableDeleted();
    expect(await codeOf(enforcer.block(request('192.0.2.9')))).toBe('FG_ERR_ENFORCE_COMMAND_FAILED');
    expect(enforcer.health().status).toBe('degraded');
    await enforcer.flush(5_000);
    const state = await backend.read();
    expect(state!.elements.map((element) => element.key)).toEqual(['192.0.2.9']);
    expect(enforcer.health().status).toBe('ok');
    expect((await enforcer.stats()).reconcile.reinstalls).toBe(1);
  });

  it('bounds restored blocks by a lowered maximum', async () => {
    const { enforcer, dir } = await startDryRun({ maxTimeoutMs: 3_600_000 });
    await enforcer.block(request('192.0.2.10', { durationMs: 3_600_000 }));
    await enforcer.close();

    const restarted = new Enforcer({ dryRun: true, stateDir: dir, maxTimeoutMs: 60_000 });
    cleanup.push(() => restarted.destroy());
    await restarted.start();
    const record = restarted.get('192.0.2.10')!;
    expect(record.durationMs).toBe(60_000);
    expect(record.expiresAtMs - Date.now()).toBeLessThanOrEqual(60_000);
    const state = await restarted.backend.read();
    expect(state!.elements[0].timeoutMs).toBe(60_000);
  });

  it('refuses changes when not running', async () => {
    const dir = await stateDir();
    cleanup.push(() => removeDir(dir));
    const enforcer = new Enforcer({ dryRun: true, stateDir: dir });
    expect(await codeOf(enforcer.block(request('192.0.2.1')))).toBe('FG_ERR_ENFORCE_NOT_RUNNING');
    expect(enforcer.health()).toEqual({ status: 'degraded', reasons: ['enforcer is created'] });
  });
});
