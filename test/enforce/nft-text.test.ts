import { describe, expect, it } from 'vitest';
import { renderChanges, renderInstall, type TableLayout } from '../../src/enforce/nft-script.ts';
import { monitorElementKeys, parseTableJson } from '../../src/enforce/nft-state.ts';
import { diffKernel } from '../../src/enforce/reconcile.ts';
import type { BlockRecord } from '../../src/enforce/block.ts';

const layout: TableLayout = {
  family: 'inet',
  name: 'fgunit',
  setSize: 1_024,
  allow4: ['127.0.0.0/8'],
  allow6: ['::1'],
  synTrap: { enabled: false, ratePerSecond: 200, burstPackets: 100, timeoutMs: 60_000, setSize: 1_024 },
};

describe('nft batch text', () => {
  it('renders the install transaction with restored elements', () => {
    const script = renderInstall(layout, [{ set: 'hosts4', key: '192.0.2.1', timeoutMs: 600_000, expiresMs: 300_000, comment: 'd-1' }]);
    const lines = script.split('\n');
    expect(lines.slice(0, 3)).toEqual(['table inet fgunit {}', 'delete table inet fgunit', 'table inet fgunit {']);
    expect(script).toContain('type filter hook prerouting priority -300; policy accept;');
    expect(script.indexOf('ip saddr @allow4 return')).toBeLessThan(script.indexOf('ip saddr @hosts4 counter name dropped_hosts4 drop'));
    expect(script).toContain('set prefixes6 { type ipv6_addr; flags interval, timeout; size 1024; }');
    expect(script).toContain('add element inet fgunit hosts4 { 192.0.2.1 timeout 600000ms expires 300000ms comment "d-1" }');
    expect(script).not.toContain('syntrap');
  });

  it('renders deletes before adds', () => {
    const script = renderChanges('bridge', 'fgunit', [
      { key: '192.0.2.1', changes: [{ op: 'delete', element: { set: 'hosts4', key: '192.0.2.1' } }, { op: 'add', element: { set: 'hosts4', key: '192.0.2.1', timeoutMs: 5_000 } }] },
      { key: '2001:db8::/32', changes: [{ op: 'delete', element: { set: 'prefixes6', key: '2001:db8::/32' } }] },
    ]);
    expect(script.trim().split('\n')).toEqual([
      'add element bridge fgunit hosts4 { 192.0.2.1 timeout 1s }',
      'delete element bridge fgunit hosts4 { 192.0.2.1 }',
      'add element bridge fgunit prefixes6 { 2001:db8::/32 timeout 1s }',
      'delete element bridge fgunit prefixes6 { 2001:db8::/32 }',
      'add element bridge fgunit hosts4 { 192.0.2.1 timeout 5000ms }',
    ]);
  });

  it('refuses a comment that would need quoting', () => {
    expect(() => renderChanges('inet', 'fgunit', [{ key: 'x', changes: [{ op: 'add', element: { set: 'hosts4', key: '192.0.2.1', timeoutMs: 1_000, comment: 'a" drop' } }] }])).toThrow(/comment/);
  });
});

describe('nft JSON state', () => {
  // Shape printed by nft 1.0.6 for `nft -j list table`.
  const listing = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'fgunit', handle: 1 } },
      { counter: { family: 'inet', name: 'dropped_hosts4', table: 'fgunit', packets: 7, bytes: 420 } },
      { set: { family: 'inet', name: 'hosts4', table: 'fgunit', type: 'ipv4_addr', elem: [{ elem: { val: '192.0.2.7', timeout: 3600, expires: 1799, comment: 'd-1' } }, '192.0.2.8'] } },
      { set: { family: 'inet', name: 'prefixes4', table: 'fgunit', type: 'ipv4_addr', elem: [{ elem: { val: { prefix: { addr: '198.51.100.0', len: 24 } }, timeout: 60, expires: 59 } }] } },
      { set: { family: 'inet', name: 'hosts6', table: 'fgunit', type: 'ipv6_addr' } },
      { set: { family: 'inet', name: 'syntrap4', table: 'fgunit', type: 'ipv4_addr', elem: [{ elem: { val: '203.0.113.5', timeout: 60, expires: 42 } }] } },
    ],
  });

  it('parses elements, prefixes, counters and trap entries', () => {
    const state = parseTableJson(listing);
    expect(state.sets).toEqual(['hosts4', 'prefixes4', 'hosts6', 'syntrap4']);
    expect(state.elements).toEqual([
      { set: 'hosts4', key: '192.0.2.7', timeoutMs: 3_600_000, expiresMs: 1_799_000, comment: 'd-1' },
      { set: 'hosts4', key: '192.0.2.8', timeoutMs: 0 },
      { set: 'prefixes4', key: '198.51.100.0/24', timeoutMs: 60_000, expiresMs: 59_000, comment: undefined },
    ]);
    expect(state.trapped).toEqual([{ set: 'syntrap4', key: '203.0.113.5', timeoutMs: 60_000, expiresMs: 42_000 }]);
    expect(state.counters.dropped_hosts4).toEqual({ packets: 7, bytes: 420 });
  });

  it('rejects output that is not nft JSON', () => {
    expect(() => parseTableJson('Error: something')).toThrow(/not JSON/);
    expect(() => parseTableJson('{"other": []}')).toThrow(/nftables/);
  });

  it('reads element keys from monitor events', () => {
    expect(monitorElementKeys({ set: [{ elem: { val: '192.0.2.70', timeout: 2 } }, { prefix: { addr: '2001:db8::', len: 32 } }] })).toEqual(['192.0.2.70', '2001:db8::/32']);
    expect(monitorElementKeys(undefined)).toEqual([]);
  });

  it('diffs the store against the kernel', () => {
    const now = 1_000_000;
    const record = (target: string, expiresAtMs: number): BlockRecord => ({
      target, durationMs: 600_000, reason: 'r', origin: 'auto', decisionId: 'd-1', family: 4, kind: 'host', createdAtMs: now, expiresAtMs,
    });
    const state = parseTableJson(listing);
    const diff = diffKernel([record('192.0.2.7', now + 1_799_000), record('192.0.2.9', now + 60_000)], { ...state, elements: [...state.elements] }, now, 5_000, () => false);
    expect({ missing: diff.missing, extra: diff.extra, drift: diff.drift }).toEqual({ missing: 1, extra: 2, drift: 0 });
    expect(diff.groups.map((group) => group.key).sort()).toEqual(['192.0.2.8', '192.0.2.9', '198.51.100.0/24']);
  });
});
