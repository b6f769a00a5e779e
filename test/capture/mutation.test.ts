import { describe, expect, it } from 'vitest';
import { hasSharedData, listCaptures, reportMissingSharedData } from '../helpers/shared-data.ts';
import { runMutations } from '../helpers/packet-mutation.ts';

reportMissingSharedData('decoder mutations');

// A few hundred thousand here; the benchmark script runs a million.
const MUTATIONS = 300_000;

describe.skipIf(!hasSharedData)('decoder mutations', () => {
  it('decodes or skips every mutated real packet', async () => {
    const captures = [...(await listCaptures('attacks')), ...(await listCaptures('benign')), ...(await listCaptures('edge'))].filter(
      (path) => !/invalid-version|reserved-field|shb-option-too-long/.test(path),
    );
    const result = await runMutations(captures, { mutations: MUTATIONS, seed: 20_240_601 });
    expect(result.firstProblem).toBeUndefined();
    expect(result.exceptions).toBe(0);
    expect(result.invariantViolations).toBe(0);
    expect(result.decoded + result.skipped).toBe(MUTATIONS);
    // Both outcomes must occur, or the mutations did not reach the length checks.
    expect(result.skipped).toBeGreaterThan(MUTATIONS / 10);
    expect(result.decoded).toBeGreaterThan(MUTATIONS / 10);
  });
});
