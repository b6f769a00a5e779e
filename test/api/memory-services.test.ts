import { describe, expect, it } from 'vitest';
import { MemoryGatewayServices } from '../../src/api/memory-services.ts';
import type { Decision } from '../../src/api/services.ts';
import { formatDuration, parseDuration, parseSince, parseTarget } from '../../src/api/address.ts';
import { makeVerdict } from './helpers.ts';

describe('MemoryGatewayServices', () => {
  it('expires blocks at their end time and keeps them as expired', async () => {
    let nowMs = 1_000_000;
    const services = new MemoryGatewayServices({ now: () => nowMs });
    const decisions: Decision[] = [];
    services.events.on('decision', (decision) => decisions.push(decision));
    await services.blocks.add({ target: '192.0.2.1', durationMs: 60_000, reason: 'test', actor: 'alice' });
    nowMs += 59_999;
    expect((await services.blocks.get('192.0.2.1'))?.state).toBe('active');
    nowMs += 1;
    expect(await services.blocks.get('192.0.2.1')).toMatchObject({ state: 'expired', endReason: 'timeout', endedAtMs: 1_060_000 });
    expect((await services.stats()).activeBlocks).toBe(0);
    expect(decisions.map((decision) => decision.action)).toEqual(['block', 'expire']);
    await expect(services.blocks.remove({ target: '192.0.2.1', graceMs: 0, actor: 'alice' })).rejects.toMatchObject({ code: 'FG_ERR_API_BLOCK_NOT_FOUND', statusCode: 404 });
  });

  it('extends an active block without shortening it', async () => {
    let nowMs = 0;
    const services = new MemoryGatewayServices({ now: () => nowMs });
    await services.blocks.add({ target: '192.0.2.1', durationMs: 600_000, reason: 'long', actor: 'a' });
    nowMs = 1_000;
    const shorter = await services.blocks.add({ target: '192.0.2.1', durationMs: 60_000, reason: 'short', actor: 'a' });
    expect(shorter.expiresAtMs).toBe(600_000);
    const longer = await services.blocks.add({ target: '192.0.2.1', durationMs: 3_600_000, reason: 'longer', actor: 'a' });
    expect(longer.expiresAtMs).toBe(3_601_000);
    expect((await services.blocks.list({ offset: 0, limit: 10 })).total).toBe(1);
  });

  it('raises the escalation level per offence, not per extension', () => {
    let nowMs = 0;
    const services = new MemoryGatewayServices({ now: () => nowMs });
    expect(services.blockAutomatically({ target: '192.0.2.9', durationMs: 1_000, reason: 'p' })?.escalationLevel).toBe(0);
    expect(services.blockAutomatically({ target: '192.0.2.9', durationMs: 1_000, reason: 'p' })?.escalationLevel).toBe(0);
    nowMs = 5_000;
    expect(services.blockAutomatically({ target: '192.0.2.9', durationMs: 1_000, reason: 'p' })?.escalationLevel).toBe(1);
  });

  it('rejects blocks beyond the table size and trips a guard for the policy', async () => {
    const services = new MemoryGatewayServices({ maxBlocks: 2 });
    const guards: string[] = [];
    services.events.on('guard', (trip) => guards.push(trip.guard));
    await services.blocks.add({ target: '192.0.2.1', durationMs: 60_000, reason: 'x', actor: 'a' });
    await services.blocks.add({ target: '192.0.2.2', durationMs: 60_000, reason: 'x', actor: 'a' });
    await expect(services.blocks.add({ target: '192.0.2.3', durationMs: 60_000, reason: 'x', actor: 'a' })).rejects.toMatchObject({
      statusCode: 409,
      details: { reason: 'table-full' },
    });
    expect(services.blockAutomatically({ target: '192.0.2.4', durationMs: 60_000, reason: 'p' })).toBeUndefined();
    expect(guards).toEqual(['block-table-full']);
    // Extending an existing block still works when the table is full.
    await expect(services.blocks.add({ target: '192.0.2.1', durationMs: 120_000, reason: 'x', actor: 'a' })).resolves.toBeDefined();
  });

  it('keeps the newest verdicts when the buffer overflows', async () => {
    const services = new MemoryGatewayServices({ verdictBufferSize: 5 });
    for (let i = 0; i < 12; i++) services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'benign', flowRecordId: i }));
    const page = await services.verdicts.list({ offset: 0, limit: 100 });
    expect(page.total).toBe(5);
    expect(page.items.map((verdict) => verdict.flowRecordId)).toEqual([11, 10, 9, 8, 7]);
    expect((await services.stats()).verdicts.benign).toBe(12);
  });

  it('evicts the least recently used source and counts it', async () => {
    const services = new MemoryGatewayServices({ maxSources: 3, perSourceHistory: 2 });
    for (let i = 1; i <= 4; i++) services.recordVerdict(makeVerdict({ srcAddr: `192.0.2.${i}`, label: 'benign' }));
    for (let i = 0; i < 5; i++) services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.4', label: 'attack', flowRecordId: i }));
    expect(await services.sources.describe('192.0.2.1')).toBeUndefined();
    expect((await services.sources.describe('192.0.2.4'))?.verdicts.map((verdict) => verdict.flowRecordId)).toEqual([4, 3]);
    expect((await services.stats()).evictions.sources).toBe(1);
  });

  it('emits one traffic sample per flush with the totals since the last one', () => {
    const services = new MemoryGatewayServices();
    services.recordPackets(10, 1_000);
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'attack' }));
    services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.1', label: 'benign' }));
    expect(services.flushTraffic()).toMatchObject({ packets: 10, bytes: 1_000, attackFlows: 1, benignFlows: 1 });
    expect(services.flushTraffic()).toMatchObject({ packets: 0, bytes: 0, attackFlows: 0, benignFlows: 0 });
  });
});

describe('address and duration parsing', () => {
  it('normalises addresses and prefixes', () => {
    expect(parseTarget('f', ' 192.0.2.7 ').target).toBe('192.0.2.7');
    expect(parseTarget('f', '2001:DB8:0:0::1').target).toBe('2001:db8::1');
    expect(parseTarget('f', '::ffff:192.0.2.7').target).toBe('192.0.2.7');
    expect(parseTarget('f', '::ffff:192.0.2.0/120').target).toBe('192.0.2.0/24');
    expect(parseTarget('f', '2001:db8::/32')).toMatchObject({ target: '2001:db8::/32', kind: 'prefix', family: 6, prefixLength: 32 });
    expect(parseTarget('f', '2001:db8::1/128')).toMatchObject({ target: '2001:db8::1', kind: 'host' });
  });

  it('rejects malformed targets naming the field', () => {
    for (const bad of ['', '192.0.2', '192.0.2.1.5', '0x7f.0.0.1', '192.0.2.0/33', '192.0.2.0/-1', '2001:db8::/8', '192.0.2.0/24/1', 'fe80::1%eth0']) {
      expect(() => parseTarget("body field 'address'", bad), bad).toThrow(/Invalid body field 'address'/);
    }
  });

  it('parses and formats durations', () => {
    expect(parseDuration('d', '1h30m', { minMs: 0, maxMs: 86_400_000 })).toBe(5_400_000);
    expect(parseDuration('d', '250ms', { minMs: 0, maxMs: 1_000 })).toBe(250);
    expect(() => parseDuration('d', '1.5h', { minMs: 0, maxMs: 86_400_000 })).toThrow(/Invalid d '1.5h'/);
    expect(() => parseDuration('d', '99999999999999999d', { minMs: 0, maxMs: 86_400_000 })).toThrow(/Invalid d/);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_001)).toBe('1d1h1m1s1ms');
  });

  it('parses since as a timestamp or a duration back from now', () => {
    expect(parseSince('s', '2026-12-04T20:00:00Z', 0)).toBe(Date.parse('2026-12-04T20:00:00Z'));
    expect(parseSince('s', '2026-12-04T21:00:00+01:00', 0)).toBe(Date.parse('2026-12-04T20:00:00Z'));
    expect(parseSince('s', '15m', 1_000_000)).toBe(100_000);
    expect(() => parseSince('s', '2026-12-04', 0)).toThrow(/RFC 3339/);
  });
});
