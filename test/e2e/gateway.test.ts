import { beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, e2eModelPath, e2eSkipReason } from '../../lab/e2e/session.ts';
import { e2eSettings } from '../../lab/e2e/settings.ts';
import { ATTACK_TARGETS, formatReport, runSuite, type SuiteReport } from '../../lab/e2e/suite.ts';

/**
 * End-to-end acceptance of the gateway in the lab (router mode, live capture, real nftables,
 * the shipped model or FLOWGUARD_E2E_MODEL). Runs only with FLOWGUARD_E2E=1, as root, with the
 * model present: it takes several minutes and its targets can fail on a weak model, which must
 * not block the rest of the suite. The always-on smoke test is gateway-smoke.test.ts.
 *
 * Attacks last FLOWGUARD_E2E_DURATION_S seconds (25 by default, not the 60 s the acceptance
 * criteria name): eight attacks, a restart and a spoofed flood at 60 s each would take about
 * 15 minutes alone. Every target is a time-to-block of at most 30 s, so 25 s shows a block
 * and then a stretch of blocked traffic; `lab/e2e/run.ts` runs 60 s attacks.
 */
const enabled = process.env.FLOWGUARD_E2E === '1';
const modelPath = e2eModelPath();
const skipReason = enabled ? e2eSkipReason(modelPath) : 'FLOWGUARD_E2E is not 1';
if (skipReason && enabled) process.stderr.write(`gateway e2e skipped: ${skipReason}\n`);
const settings = e2eSettings(process.env, 25);
const suiteTimeoutMs = (ATTACK_TARGETS.length + 4) * (settings.attackDurationS + 45) * 1_000 + 300_000;

describe.skipIf(skipReason !== undefined)('gateway end-to-end acceptance', () => {
  let report: SuiteReport;

  beforeAll(async () => {
    await buildGateway();
    report = await runSuite({ ...settings, modelPath, log: (line) => process.stderr.write(`e2e: ${line}\n`) });
    process.stdout.write(`\n${formatReport(report)}\n`);
  }, suiteTimeoutMs);

  for (const target of ATTACK_TARGETS.filter((entry) => !settings.scenarios || settings.scenarios.includes(entry.scenario))) {
    it(`blocks the ${target.title} within ${target.targetMs / 1_000} s of its first packet`, () => {
      const attack = report.attacks.find((entry) => entry.scenario === target.scenario)!;
      expect(attack.timeToKernelMs, `${target.scenario}: not in nft`).not.toBeNull();
      expect(attack.timeToKernelMs!).toBeLessThanOrEqual(target.targetMs);
    });

    it(`lets no ${target.title} packet reach the target after the block`, () => {
      const attack = report.attacks.find((entry) => entry.scenario === target.scenario)!;
      expect(attack.packetsAfterBlock).toBe(0);
    });

    it(`keeps benign requests at 99 % or more during the ${target.title}`, () => {
      const attack = report.attacks.find((entry) => entry.scenario === target.scenario)!;
      expect(attack.benign.requests).toBeGreaterThan(0);
      expect(attack.benign.successRate!).toBeGreaterThanOrEqual(0.99);
    });
  }

  it('never blocks a benign client', () => {
    expect(report.benignBlocksEver).toEqual([]);
  });

  it('restores reachability on DELETE /blocks/:address and writes the audit record', () => {
    expect(report.unblock, 'no attacker was blocked, so nothing could be unblocked').not.toBeNull();
    const unblock = report.unblock!;
    expect(unblock.reachableWhileBlocked).toBe(false);
    expect(unblock.deleteStatus).toBe(200);
    expect(unblock.reachableAfter).toBe(true);
    expect(unblock.auditRecord).toMatchObject({ action: 'block.remove', outcome: 'applied', actor: 'e2e' });
  });

  it('keeps blocks across a restart', () => {
    const restart = report.restart!;
    expect(restart.blockedBeforeRestart).toBe(true);
    expect(restart.exitCode).toBe(0);
    expect(restart.samplesWithoutBlock).toBe(0);
    expect(restart.kernelSamples).toBeGreaterThan(5);
    expect(restart.blockListedAfterRestart).toBe(true);
    expect(restart.benignBlocks).toEqual([]);
  });

  // The `fast` flow settings export the forged one-SYN flows after 2 s, so they are scored and
  // held in the scorer's and policy's per-source state while the memory bound is checked.
  it('reports spoofed SYN flood within memory bound', () => {
    const spoofed = report.spoofed!;
    expect(spoofed.packetsAtTarget).toBeGreaterThan(0);
    expect(spoofed.benignBlocks).toEqual([]);
    expect(spoofed.rssMaxBytes!).toBeLessThan(settings.rssLimitBytes);
    expect(spoofed.spoofedFloodLogged || spoofed.healthReasons.some((reason) => reason.includes('spoofed'))).toBe(true);
  });
});
