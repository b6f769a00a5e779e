import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryGatewayServices } from '../../src/api/memory-services.ts';
import { Enforcer } from '../../src/enforce/enforcer.ts';
import { EnforcedGatewayServices } from '../../src/gateway/gateway-services.ts';

describe('EnforcedGatewayServices.health', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reports the problems the pipeline records, such as a spoofed-source flood', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'fg-health-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const enforcer = new Enforcer({ dryRun: true, stateDir, monitor: false });
    const memory = new MemoryGatewayServices();
    await enforcer.start();
    cleanups.push(() => enforcer.close());
    await memory.start();
    cleanups.push(() => memory.close());
    const services = new EnforcedGatewayServices({ memory, enforcer, componentHealth: () => [] });
    expect(await services.health()).toEqual({ status: 'ok', reasons: [] });

    memory.setHealthProblem('spoofed-flood', 'a spoofed-source flood is running');
    expect(await services.health()).toEqual({ status: 'degraded', reasons: ['a spoofed-source flood is running'] });

    memory.setHealthProblem('spoofed-flood', undefined);
    expect(await services.health()).toEqual({ status: 'ok', reasons: [] });
  });
});
