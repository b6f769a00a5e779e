import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBenign, type BenignTraffic } from '../../lab/benign.ts';
import { waitFor } from '../../lab/exec.ts';
import { readTargetCounters } from '../../lab/target-counters.ts';
import { listKernelBlocks } from '../../lab/e2e/nft-elements.ts';
import { httpReachable } from '../../lab/e2e/reachability.ts';
import { buildGateway, e2eModelPath, openSession, type E2eSession } from '../../lab/e2e/session.ts';
import { makeFixtureModel, type FixtureModel } from '../infer/model-fixture.ts';

/**
 * Always-on smoke test of the deployed gateway: `flowguard run` inside the lab's gateway
 * namespace with live capture and real nftables. It checks the wiring, not detection quality,
 * so it uses the shipped model when it exists and otherwise a small random-weight model built
 * with Debian's PyTorch. Skipped when not root (namespaces and nftables need it).
 */
const isRoot = process.getuid?.() === 0;
const shippedModel = e2eModelPath();

describe.skipIf(!isRoot)('gateway in the lab (smoke)', () => {
  let session: E2eSession | undefined;
  let benign: BenignTraffic | undefined;
  let fixture: FixtureModel | undefined;

  beforeAll(async () => {
    await buildGateway();
    let modelPath = shippedModel;
    if (!existsSync(modelPath)) {
      fixture = makeFixtureModel({ name: 'smoke' });
      modelPath = fixture.modelPath;
    }
    session = await openSession({ modelPath, flowPreset: 'fast', attackerCount: 1, clientCount: 2, maxLifetimeMs: 170_000 });
    benign = startBenign(session.topology, { maxDurationMs: 120_000 });
  }, 170_000);

  afterAll(async () => {
    await benign?.stop().catch(() => undefined);
    await session?.close();
    fixture?.remove();
  }, 60_000);

  it('captures, scores, blocks and unblocks by hand in nft, and stops cleanly', async () => {
    const s = session!;
    const attacker = s.topology.attackers[0];
    const ns = s.topology.gateway.namespace;
    const health = await s.gateway.api('GET', '/health');
    expect(health.body).toEqual({ status: 'ok', reasons: [] });
    expect(health.status).toBe(200);

    // Benign traffic crosses the gateway: packets are captured and flows get verdicts.
    await waitFor(async () => {
      const stats = (await s.gateway.api('GET', '/stats')).body as { packets: number; verdicts: { attack: number; benign: number } };
      return stats.packets > 100 && stats.verdicts.attack + stats.verdicts.benign >= 5;
    }, 'captured packets and verdicts in GET /stats', 60_000, 500);

    expect(await httpReachable(s.topology, attacker)).toBe(true);
    const blocked = await s.gateway.api('POST', '/blocks', { address: attacker.ipv4, duration: '10m', reason: 'e2e smoke test' });
    expect(blocked.status).toBe(201);
    await waitFor(async () => (await listKernelBlocks(ns, s.tableFamily, s.tableName))?.has(attacker.ipv4) === true, 'the manual block in nft', 10_000, 100);
    const before = (await readTargetCounters(s.topology.target.namespace, s.topology.target.counterTable))[attacker.name].packets;
    expect(await httpReachable(s.topology, attacker)).toBe(false);
    const after = (await readTargetCounters(s.topology.target.namespace, s.topology.target.counterTable))[attacker.name].packets;
    expect(after - before).toBe(0);

    const removed = await s.gateway.api('DELETE', `/blocks/${attacker.ipv4}`);
    expect(removed.status).toBe(200);
    await waitFor(async () => (await listKernelBlocks(ns, s.tableFamily, s.tableName))?.has(attacker.ipv4) === false, 'the unblock in nft', 10_000, 100);
    expect(await httpReachable(s.topology, attacker)).toBe(true);

    const audit = s.gateway.logRecords().filter((record) => record.component === 'api-audit');
    expect(audit.map((record) => [record.action, record.target, record.outcome])).toEqual([
      ['block.add', attacker.ipv4, 'applied'],
      ['block.remove', attacker.ipv4, 'applied'],
    ]);

    const stopped = await s.gateway.stop();
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stopMs).toBeLessThan(15_000);
    const records = s.gateway.logRecords();
    expect(records.some((record) => record.msg === 'gateway stopped')).toBe(true);
    expect(records.filter((record) => typeof record.level === 'number' && record.level >= 50)).toEqual([]);
  }, 150_000);
});
