import { describe, expect, it } from 'vitest';
import { Policy, type PolicyDecision, type PolicyEvent } from '../../src/enforce/policy.ts';
import type { PolicyOptionsInput } from '../../src/enforce/policy-options.ts';
import type { Verdict } from '../../src/infer/verdict.ts';
import { always, series, T0_US, verdict } from './verdicts.ts';

/** Feeds verdicts in order and gathers every decision and event. */
function run(policy: Policy, verdicts: Verdict[]): { decisions: PolicyDecision[]; events: PolicyEvent[] } {
  const decisions: PolicyDecision[] = [];
  const events: PolicyEvent[] = [];
  for (const v of verdicts) {
    const result = policy.observe(v);
    decisions.push(...result.decisions);
    events.push(...result.events);
  }
  return { decisions, events };
}

const noJitter = { random: () => 0.5 };

function makePolicy(options: PolicyOptionsInput = {}): Policy {
  return new Policy({ minFlows: 10, attackRatio: 0.8, ...options }, noJitter);
}

describe('policy decisions', () => {
  it('blocks an attacker once the ratio crosses, with evidence', () => {
    const policy = makePolicy();
    const { decisions } = run(policy, series('203.0.113.9', 30, always('attack')));
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect(decision.outcome).toBe('block');
    expect(decision.rule).toBe('flow-ratio');
    expect(decision.source).toBe('203.0.113.9');
    expect(decision.decidedAtUs).toBe(T0_US + 900_000);
    expect(decision.request).toMatchObject({ target: '203.0.113.9', durationMs: 600_000, origin: 'auto', escalationLevel: 0 });
    expect(decision.request.evidence).toMatchObject({
      flowsSeen: 10,
      attackFlows: 10,
      attackRatio: 1,
      threshold: 0.8,
      modelVersion: 'test-model',
      windowStartUs: T0_US - 1000,
      windowEndUs: T0_US + 900_000,
      packets: 100,
      bytes: 10_000,
    });
    expect(decision.request.evidence.meanProbability).toBeCloseTo(0.95, 5);
    expect(decision.request.decisionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each<{ name: string; labels: (i: number) => 'attack' | 'benign'; count: number; blocked: boolean }>([
    { name: 'attack share below the ratio', labels: (i) => (i % 4 === 0 ? 'benign' : 'attack'), count: 40, blocked: false },
    { name: 'attack share at the ratio', labels: (i) => (i % 5 === 0 ? 'benign' : 'attack'), count: 40, blocked: true },
    { name: 'too few flows', labels: always('attack'), count: 9, blocked: false },
  ])('$name', ({ labels, count, blocked }) => {
    const policy = makePolicy();
    const { decisions } = run(policy, series('203.0.113.10', count, labels));
    expect(decisions.length > 0).toBe(blocked);
  });

  it('never blocks a busy benign source with occasional false positives', () => {
    const policy = makePolicy();
    // 5,000 flows over 500 s, one in twenty judged attack, including bursts of three in a row.
    const labels = (i: number) => (i % 20 === 0 || (i % 997 < 3 && i > 3) ? 'attack' : 'benign');
    const { decisions } = run(policy, series('198.51.100.77', 5000, labels, { everyMs: 100 }));
    expect(decisions).toEqual([]);
  });

  it('never blocks a busy host of large flows with occasional false positives', () => {
    const policy = makePolicy();
    // A file server's client: 2,000 flows of 3,000 packets, one in 25 misjudged with high confidence.
    const labels = (i: number) => (i % 25 === 7 ? 'attack' : 'benign');
    const verdicts = series('198.51.100.78', 2000, labels, { everyMs: 500, packets: 3000, bytes: 4_000_000 }).map((v) =>
      v.label === 'attack' ? { ...v, probability: 0.97 } : v,
    );
    expect(run(policy, verdicts).decisions).toEqual([]);
  });

  it('requires the minimum mean probability when set', () => {
    const policy = makePolicy({ minMeanProbability: 0.9 });
    const weak = series('203.0.113.11', 20, always('attack'), { probability: 0.6 });
    expect(run(policy, weak).decisions).toEqual([]);
    const strong = series('203.0.113.12', 20, always('attack'), { probability: 0.97 });
    expect(run(policy, strong).decisions).toHaveLength(1);
  });

  it('forgets verdicts older than the time window', () => {
    const policy = makePolicy({ window: { durationMs: 10_000 } });
    // Attack flows 5 s apart: never ten inside any 10 s.
    const { decisions } = run(policy, series('203.0.113.13', 40, always('attack'), { everyMs: 5000 }));
    expect(decisions).toEqual([]);
  });

  it('looks only at the newest maxFlows verdicts', () => {
    const policy = makePolicy({ window: { maxFlows: 20 } });
    const verdicts = [...series('203.0.113.14', 100, always('benign')), ...series('203.0.113.14', 20, always('attack'), { startMs: 10_000 })];
    const { decisions } = run(policy, verdicts);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].request.evidence.flowsSeen).toBe(20);
  });

  it('decides once per block period', () => {
    const policy = makePolicy({ block: { durationMs: 5000, multipliers: [1], jitterRatio: 0 } });
    const { decisions } = run(policy, series('203.0.113.15', 200, always('attack'), { everyMs: 100 }));
    // Blocks at 0.9 s, then again once the 5 s block has run out (5.9 s, 10.9 s, 15.9 s).
    expect(decisions.map((d) => (d.decidedAtUs - T0_US) / 1000)).toEqual([900, 5900, 10900, 15900]);
  });

  it('records decisions as would-block in dry-run', () => {
    const policy = makePolicy({ dryRun: true });
    const { decisions } = run(policy, series('203.0.113.16', 20, always('attack')));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'would-block', reason: 'dry-run' });
    expect(decisions[0].request.evidence.attackFlows).toBe(10);
    expect(policy.stats().activeBlocks).toBe(0);
  });
});

describe('policy floods with few flows', () => {
  it('blocks a one-flow ICMP echo flood on its packets', () => {
    const policy = makePolicy();
    const flood = verdict('203.0.113.20', 'attack', 5000, { protocol: 1, packets: 50_000, bytes: 2_800_000, durationMs: 5000, probability: 0.99 });
    const { decisions } = run(policy, [flood]);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'block', rule: 'packet-volume' });
    expect(decisions[0].request.evidence).toMatchObject({ flowsSeen: 1, attackPackets: 50_000 });
    expect((decisions[0].decidedAtUs - decisions[0].firstSeenUs) / 1e6).toBe(5);
  });

  it('leaves a large flow alone below the volume confidence', () => {
    const policy = makePolicy({ volume: { minMeanProbability: 0.9 } });
    const transfer = verdict('198.51.100.21', 'attack', 5000, { packets: 50_000, probability: 0.7, durationMs: 5000 });
    expect(run(policy, [transfer]).decisions).toEqual([]);
  });

  it('leaves one misjudged TCP connection alone however large', () => {
    const policy = makePolicy();
    const download = verdict('198.51.100.25', 'attack', 70, { packets: 6448, bytes: 8_388_962, durationMs: 65, probability: 0.9996, handshakeSeen: true });
    expect(run(policy, [download]).decisions).toEqual([]);
  });

  it('leaves one connection picked up mid-stream alone', () => {
    const policy = makePolicy();
    const download = verdict('198.51.100.27', 'attack', 70, { packets: 6448, bytes: 8_388_962, bwdBytes: 8_388_000, durationMs: 65, probability: 0.9996 });
    expect(run(policy, [download]).decisions).toEqual([]);
  });

  it('leaves downloads alone however many are misjudged', () => {
    const policy = makePolicy();
    const downloads = [1, 2, 3, 4, 5].map((n) =>
      verdict('198.51.100.28', 'attack', 100 * n, { packets: 700, bytes: 1_048_776, bwdBytes: 1_048_576, durationMs: 20, probability: 0.99, handshakeSeen: true }),
    );
    expect(run(policy, downloads).decisions).toEqual([]);
  });

  it('counts keep-alive flood connections that get small answers', () => {
    const policy = makePolicy();
    const pieces = [1, 2].map((n) => verdict('203.0.113.29', 'attack', 2000 + n, { packets: 900, bytes: 300_000, bwdBytes: 200_000, durationMs: 2000, probability: 0.99, handshakeSeen: true }));
    const { decisions } = run(policy, pieces);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'block', rule: 'packet-volume' });
  });

  it('blocks on the packets of two attack connections', () => {
    const policy = makePolicy();
    const first = verdict('203.0.113.26', 'attack', 2000, { packets: 800, durationMs: 2000, probability: 0.99, handshakeSeen: true });
    const second = verdict('203.0.113.26', 'attack', 2100, { packets: 700, durationMs: 2000, probability: 0.99, handshakeSeen: true });
    const { decisions } = run(policy, [first, second]);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'block', rule: 'packet-volume' });
    expect(decisions[0].request.evidence).toMatchObject({ attackFlows: 2, attackPackets: 1500 });
  });

  it('leaves a large benign flow alone', () => {
    const policy = makePolicy();
    const transfer = verdict('198.51.100.22', 'benign', 5000, { packets: 50_000, durationMs: 5000 });
    expect(run(policy, [transfer]).decisions).toEqual([]);
  });

  it('blocks a one-packet-per-flow UDP flood within a second', () => {
    const policy = makePolicy();
    const flood = series('203.0.113.23', 1000, always('attack'), { everyMs: 1, packets: 1, bytes: 0, protocol: 17 });
    const { decisions } = run(policy, flood);
    expect(decisions).toHaveLength(1);
    expect((decisions[0].decidedAtUs - decisions[0].firstSeenUs) / 1000).toBeLessThan(1000);
  });

  it('can turn the packet rule off', () => {
    const policy = makePolicy({ volume: { enabled: false } });
    const flood = verdict('203.0.113.24', 'attack', 5000, { packets: 50_000, probability: 0.99 });
    expect(run(policy, [flood]).decisions).toEqual([]);
  });
});

describe('policy spoofed floods', () => {
  it('reports many single-flow attack sources as one event and blocks none', () => {
    const policy = makePolicy({ spoofing: { minSources: 100, windowMs: 10_000 } });
    const verdicts = Array.from({ length: 500 }, (_, i) =>
      verdict(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'attack', i * 5, { packets: 2000, probability: 0.99, dstAddr: '198.51.100.10' }),
    );
    const { decisions, events } = run(policy, verdicts);
    const floods = events.filter((e) => e.type === 'spoofed-flood');
    expect(floods).toHaveLength(1);
    expect(floods[0]).toMatchObject({ sources: 100, topDestinations: [{ address: '198.51.100.10', flows: 100 }] });
    // The first 99 sources came before the pattern was known; the packet rule blocked them.
    expect(decisions.filter((d) => d.outcome === 'block').length).toBeLessThan(100);
    expect(decisions.every((d) => (d.decidedAtUs - T0_US) / 1000 < 99 * 5 + 1)).toBe(true);
  });

  it('reports the end of the flood', () => {
    const policy = makePolicy({ spoofing: { minSources: 10, windowMs: 1000 } });
    const flood = Array.from({ length: 20 }, (_, i) => verdict(`10.9.0.${i}`, 'attack', i * 10));
    const after = series('198.51.100.30', 5, always('benign'), { startMs: 5000 });
    const { events } = run(policy, [...flood, ...after]);
    expect(events.map((e) => e.type)).toEqual(['spoofed-flood', 'spoofed-flood-ended']);
  });
});

describe('policy protected addresses', () => {
  it.each([
    { name: 'allowlisted address', source: '192.0.2.50', options: { allowlist: ['192.0.2.0/24'] }, reason: 'allowlist' },
    { name: 'allowlisted IPv6 network', source: '2001:db8:5::1', options: { allowlist: ['2001:db8::/32'] }, reason: 'allowlist' },
    { name: 'own address', source: '198.51.100.1', options: { ownAddresses: ['198.51.100.1'] }, reason: 'own-address' },
    { name: 'loopback', source: '127.0.0.1', options: {}, reason: 'loopback' },
    { name: 'IPv6 loopback', source: '::1', options: {}, reason: 'loopback' },
    { name: 'link-local', source: '169.254.10.10', options: {}, reason: 'link-local' },
    { name: 'IPv6 link-local', source: 'fe80::1', options: {}, reason: 'link-local' },
    { name: 'multicast', source: '224.0.0.251', options: {}, reason: 'multicast' },
    { name: 'mapped loopback', source: '::ffff:127.0.0.1', options: {}, reason: 'loopback' },
  ] as const)('refuses $name', ({ source, options, reason }) => {
    const policy = makePolicy(options as PolicyOptionsInput);
    const { decisions } = run(policy, series(source, 20, always('attack')));
    expect(decisions).toHaveLength(1);
    expect(decisions[0].outcome).toBe('refused');
    expect(decisions[0].reason).toBe(reason);
    expect(decisions[0].request.evidence.attackFlows).toBe(10);
    expect(policy.stats()).toMatchObject({ blocks: 0, refused: 1, activeBlocks: 0 });
  });

  it('rejects an allowlist entry that is not a CIDR', () => {
    expect(() => makePolicy({ allowlist: ['192.0.2.0/33'] })).toThrow(/allowlist.*192\.0\.2\.0\/33/);
  });

  it('rejects unknown option keys', () => {
    expect(() => makePolicy({ attackRatios: 0.5 } as PolicyOptionsInput)).toThrow(/attackRatios|additional/i);
  });
});

describe('policy guards', () => {
  function attackers(count: number, address: (i: number) => string, startMs = 0, spacingMs = 10): Verdict[] {
    return Array.from({ length: count }, (_, i) => series(address(i), 10, always('attack'), { startMs: startMs + i * spacingMs, everyMs: 1 })).flat();
  }

  it('trips on max active blocks and falls back to dry-run', () => {
    const policy = makePolicy({ guards: { maxActiveBlocks: 3, maxNewBlocksPerMinute: 1000 } });
    const { decisions, events } = run(policy, attackers(6, (i) => `203.0.${i}.1`));
    expect(decisions.map((d) => d.outcome)).toEqual(['block', 'block', 'block', 'would-block', 'would-block', 'would-block']);
    expect(decisions[3].reason).toBe('guard:max-active-blocks');
    expect(decisions[4].reason).toBe('guard:max-active-blocks');
    expect(events).toEqual([expect.objectContaining({ type: 'guard-tripped', breach: { guard: 'max-active-blocks', limit: 3, value: 4 } })]);
    expect(policy.dryRun).toBe(true);
  });

  it('trips on max new blocks per minute', () => {
    const policy = makePolicy({ guards: { maxNewBlocksPerMinute: 5 } });
    const { decisions } = run(policy, attackers(8, (i) => `203.0.${i}.2`));
    expect(decisions.filter((d) => d.outcome === 'block')).toHaveLength(5);
    expect(decisions[5].reason).toBe('guard:max-new-blocks-per-minute');
  });

  it('trips on max blocks in one /24', () => {
    const policy = makePolicy({ guards: { maxBlocksPerPrefix: 4 } });
    const { decisions, events } = run(policy, attackers(6, (i) => `203.0.113.${100 + i}`));
    expect(decisions.filter((d) => d.outcome === 'block')).toHaveLength(4);
    expect(events[0]).toMatchObject({ type: 'guard-tripped', breach: { guard: 'max-blocks-per-prefix', prefix: '203.0.113.0/24' } });
  });

  it('trips on max blocks in one IPv6 /48', () => {
    const policy = makePolicy({ guards: { maxBlocksPerPrefix: 2 } });
    const { decisions, events } = run(policy, attackers(3, (i) => `2001:db8:7:${i}::1`));
    expect(decisions.map((d) => d.outcome)).toEqual(['block', 'block', 'would-block']);
    expect(events[0]).toMatchObject({ breach: { guard: 'max-blocks-per-prefix', prefix: '2001:db8:7::/48' } });
  });

  it('stays in dry-run until an operator resets the guards', () => {
    const policy = makePolicy({ guards: { maxActiveBlocks: 1 } });
    run(policy, attackers(2, (i) => `203.0.${i}.3`));
    expect(policy.dryRun).toBe(true);
    const later = run(policy, attackers(1, () => '203.0.50.3', 1000));
    expect(later.decisions[0]).toMatchObject({ outcome: 'would-block', reason: 'guard:max-active-blocks' });
    policy.release('203.0.0.3');
    expect(policy.resetGuards()).toMatchObject({ type: 'guards-reset' });
    const afterReset = run(policy, attackers(1, () => '203.0.51.3', 2000));
    expect(afterReset.decisions[0].outcome).toBe('block');
  });

  it("refuses only the excess in 'refuse' mode", () => {
    const policy = makePolicy({ guards: { maxActiveBlocks: 1, onTrip: 'refuse' } });
    const { decisions } = run(policy, attackers(2, (i) => `203.0.${i}.4`));
    expect(decisions.map((d) => d.outcome)).toEqual(['block', 'would-block']);
    expect(policy.dryRun).toBe(false);
    policy.release('203.0.0.4');
    expect(run(policy, attackers(1, () => '203.0.9.4', 1000)).decisions[0].outcome).toBe('block');
  });
});

describe('policy escalation', () => {
  const hour = 3600_000;

  /** Blocks `source` once at `atMs` (ten attack flows 1 ms apart) and returns the decision. */
  function offend(policy: Policy, source: string, atMs: number): PolicyDecision {
    const { decisions } = run(policy, series(source, 10, always('attack'), { startMs: atMs, everyMs: 1 }));
    expect(decisions).toHaveLength(1);
    return decisions[0];
  }

  it('multiplies the duration for repeat offenders up to the cap', () => {
    const policy = makePolicy({ block: { durationMs: 60_000, multipliers: [1, 4, 16, 64], maxDurationMs: 30 * 60_000, jitterRatio: 0 } });
    const durations: number[] = [];
    let atMs = 0;
    for (let offence = 0; offence < 5; offence++) {
      const decision = offend(policy, '203.0.113.40', atMs);
      expect(decision.request.escalationLevel).toBe(offence);
      durations.push(decision.request.durationMs);
      atMs += decision.request.durationMs + 1000;
    }
    expect(durations).toEqual([60_000, 240_000, 960_000, 1_800_000, 1_800_000]);
  });

  it('spreads durations by the jitter ratio', () => {
    const low = new Policy({ block: { durationMs: 100_000, jitterRatio: 0.1 } }, { random: () => 0 });
    const high = new Policy({ block: { durationMs: 100_000, jitterRatio: 0.1 } }, { random: () => 0.999999 });
    expect(offend(low, '203.0.113.41', 0).request.durationMs).toBe(90_000);
    expect(offend(high, '203.0.113.41', 0).request.durationMs).toBe(110_000);
  });

  it('decays one level per quiet period', () => {
    const policy = makePolicy({ block: { durationMs: 60_000, multipliers: [1, 4, 16], jitterRatio: 0, decayAfterMs: 24 * hour } });
    offend(policy, '203.0.113.42', 0);
    offend(policy, '203.0.113.42', 2 * 60_000);
    // Level 2 is next, but 25 h of quiet take it back to level 1; 49 more hours to level 0.
    expect(offend(policy, '203.0.113.42', 25 * hour).request.escalationLevel).toBe(1);
    expect(offend(policy, '203.0.113.42', 75 * hour).request.escalationLevel).toBe(0);
  });

  it('keeps the history across a restart', () => {
    const options = { block: { durationMs: 60_000, multipliers: [1, 4], jitterRatio: 0 }, guards: { maxActiveBlocks: 1 } };
    const before = makePolicy(options);
    offend(before, '203.0.113.43', 0);
    run(before, series('203.0.113.44', 10, always('attack'), { startMs: 100, everyMs: 1 }));
    expect(before.dryRun).toBe(true);
    const saved = JSON.parse(JSON.stringify(before.exportState(T0_US / 1000 + 1000)));

    const after = makePolicy(options);
    after.importState(saved);
    expect(after.dryRun).toBe(true);
    expect(after.stats().activeBlocks).toBe(1);
    after.resetGuards();
    after.release('203.0.113.43');
    expect(offend(after, '203.0.113.43', 120_000).request).toMatchObject({ escalationLevel: 1, durationMs: 240_000 });
  });

  it('rejects a damaged state document', () => {
    const policy = makePolicy();
    expect(() => policy.importState({ formatVersion: 1, escalation: 'x' })).toThrow(expect.objectContaining({ code: 'FG_ERR_MODEL_POLICY_STATE_INVALID' }));
  });
});

describe('policy operator actions', () => {
  it('holds a released source back for the grace period', () => {
    const policy = makePolicy({ block: { durationMs: 600_000 } });
    expect(run(policy, series('203.0.113.60', 10, always('attack'))).decisions).toHaveLength(1);
    policy.release('203.0.113.60', { graceUntilMs: T0_US / 1000 + 60_000 });
    expect(run(policy, series('203.0.113.60', 10, always('attack'), { startMs: 30_000 })).decisions).toEqual([]);
    expect(run(policy, series('203.0.113.60', 10, always('attack'), { startMs: 61_000 })).decisions).toHaveLength(1);
  });

  it('describes a source for the API', () => {
    const policy = makePolicy();
    run(policy, series('2001:db8:9:9::5', 12, always('attack')));
    const description = policy.describeSource('2001:db8:9:9::77', T0_US / 1000 + 2000);
    expect(description).toMatchObject({ source: '2001:db8:9:9::/64', escalationLevel: 1, blocked: true });
    expect(description!.window!.flows).toBe(12);
    expect(description!.quietUntilMs).toBeGreaterThan(T0_US / 1000);
  });
});

describe('policy address grouping', () => {
  it('groups IPv6 sources by /64 and blocks the prefix', () => {
    const policy = makePolicy();
    const verdicts = Array.from({ length: 10 }, (_, i) => verdict(`2001:db8:1:2::${(i + 1).toString(16)}`, 'attack', i * 10));
    const { decisions } = run(policy, verdicts);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].request.target).toBe('2001:db8:1:2::/64');
    expect(decisions[0].request.evidence.flowsSeen).toBe(10);
  });

  it('keeps different /64 networks apart', () => {
    const policy = makePolicy();
    const verdicts = Array.from({ length: 10 }, (_, i) => verdict(`2001:db8:1:${i}::1`, 'attack', i * 10));
    expect(run(policy, verdicts).decisions).toEqual([]);
  });

  it('uses the configured IPv6 prefix length', () => {
    const policy = makePolicy({ ipv6PrefixLength: 56 });
    const verdicts = Array.from({ length: 10 }, (_, i) => verdict(`2001:db8:1:${i}::1`, 'attack', i * 10));
    const { decisions } = run(policy, verdicts);
    expect(decisions[0].request.target).toBe('2001:db8:1::/56');
  });

  it('blocks a single IPv6 host with prefix length 128', () => {
    const policy = makePolicy({ ipv6PrefixLength: 128 });
    const { decisions } = run(policy, series('2001:db8::99', 10, always('attack')));
    expect(decisions[0].request.target).toBe('2001:db8::99');
  });

  it('treats IPv4-mapped IPv6 sources as IPv4', () => {
    const policy = makePolicy();
    const verdicts = [...series('::ffff:192.0.2.9', 5, always('attack')), ...series('192.0.2.9', 5, always('attack'), { startMs: 500 })];
    const { decisions } = run(policy, verdicts);
    expect(decisions).toHaveLength(1);
    expect(decisions[0].request.target).toBe('192.0.2.9');
    expect(decisions[0].request.evidence.flowsSeen).toBe(10);
  });
});
