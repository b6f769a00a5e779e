import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX, FEATURE_NAMES } from '../../src/flows/columns.ts';
import { WindowBuilder } from '../../src/infer/window-builder.ts';
import type { ModelCard } from '../../src/infer/model-card.ts';
import { makeFlowRecord } from './model-fixture.ts';

/** A card over three inputs: Flow Duration, Protocol, Destination Port; padding value -1, -2, -3. */
const card = {
  formatVersion: 1,
  modelVersion: 'test',
  flowMeterMode: 'corrected',
  featureNames: ['Flow Duration', 'Protocol', 'Destination Port'],
  window: { length: 4, grouping: 'source-address', ipv6PrefixLength: 64, order: 'export', padding: 'left-min' },
  input: { name: 'x', shape: [-1, 4, 3], dtype: 'float32' },
  output: { name: 'y' },
  scaler: { min: [-1, -2, -3], max: [1000, 17, 65535] },
  threshold: 0.5,
} as ModelCard;

function flow(srcAddr: string, duration: number, extra: Record<string, number> = {}) {
  return makeFlowRecord({ srcAddr, protocol: 17, featureValues: { 'Flow Duration': duration, 'Destination Port': 53, ...extra } });
}

function windowOf(builder: WindowBuilder, record: ReturnType<typeof flow>): number[] {
  const target = new Float32Array(builder.windowSize);
  expect(builder.append(record, target, 0)).toBe('ok');
  return [...target];
}

describe('window builder', () => {
  it('left-pads a new source with scaler.min rows', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    expect(windowOf(builder, flow('192.0.2.1', 5))).toEqual([-1, -2, -3, -1, -2, -3, -1, -2, -3, 5, 17, 53]);
  });

  it('keeps export order and ends with the scored flow', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    let window: number[] = [];
    for (let duration = 1; duration <= 6; duration++) window = windowOf(builder, flow('192.0.2.1', duration));
    expect(window.filter((_, i) => i % 3 === 0)).toEqual([3, 4, 5, 6]);
  });

  it('keeps the order while its storage grows', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const seen: number[][] = [];
    for (let duration = 1; duration <= 9; duration++) seen.push(windowOf(builder, flow('192.0.2.9', duration)).filter((_, i) => i % 3 === 0));
    expect(seen).toEqual([
      [-1, -1, -1, 1],
      [-1, -1, 1, 2],
      [-1, 1, 2, 3],
      [1, 2, 3, 4],
      [2, 3, 4, 5],
      [3, 4, 5, 6],
      [4, 5, 6, 7],
      [5, 6, 7, 8],
      [6, 7, 8, 9],
    ]);
  });

  it('keeps one history per source address', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(builder, flow('192.0.2.1', 1));
    const other = windowOf(builder, flow('192.0.2.2', 2));
    expect(other.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, -1, 2]);
  });

  it('groups IPv6 sources by /64', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(builder, flow('2001:db8:1:2::1', 1));
    const sameNetwork = windowOf(builder, flow('2001:db8:1:2:aaaa::9', 2));
    expect(sameNetwork.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, 1, 2]);
    const otherNetwork = windowOf(builder, flow('2001:db8:1:3::1', 3));
    expect(otherNetwork.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, -1, 3]);
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(builder, flow('::ffff:192.0.2.7', 1));
    const window = windowOf(builder, flow('192.0.2.7', 2));
    expect(window.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, 1, 2]);
    expect(builder.groupOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('forgets the least recently seen source past maxSources', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 2 });
    windowOf(builder, flow('192.0.2.1', 1));
    windowOf(builder, flow('192.0.2.2', 1));
    windowOf(builder, flow('192.0.2.3', 1));
    expect(builder.sourceCount).toBe(2);
    const window = windowOf(builder, flow('192.0.2.1', 2));
    expect(window.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, -1, 2]);
  });

  it('rejects a non-finite flow and leaves it out of the history', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const target = new Float32Array(builder.windowSize);
    windowOf(builder, flow('192.0.2.1', 1));
    expect(builder.append(flow('192.0.2.1', Number.NaN), target, 0)).toBe('non-finite');
    expect(builder.append(flow('192.0.2.1', Number.POSITIVE_INFINITY), target, 0)).toBe('non-finite');
    // 1e39 is finite as a double but overflows float32.
    expect(builder.append(flow('192.0.2.1', 1e39), target, 0)).toBe('non-finite');
    const window = windowOf(builder, flow('192.0.2.1', 2));
    expect(window.filter((_, i) => i % 3 === 0)).toEqual([-1, -1, 1, 2]);
  });

  it('ignores non-finite values in features the model does not use', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const unused = FEATURE_NAMES.find((name) => !card.featureNames.includes(name))!;
    expect(FEATURE_INDEX[unused]).toBeGreaterThanOrEqual(0);
    windowOf(builder, flow('192.0.2.1', 1, { [unused]: Number.NaN }));
  });

  it('reads stored histories under a new feature list', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(builder, flow('192.0.2.1', 7));
    builder.setCard({ ...card, featureNames: ['Destination Port', 'Flow Duration'], scaler: { min: [0, 0], max: [1, 1] } } as ModelCard);
    expect(windowOf(builder, flow('192.0.2.1', 8))).toEqual([0, 0, 0, 0, 53, 7, 53, 8]);
  });

  it('reprojects partial and full histories in order', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const durationOnly = { ...card, featureNames: ['Flow Duration'], scaler: { min: [0], max: [1] } } as ModelCard;
    for (let duration = 1; duration <= 3; duration++) windowOf(builder, flow('192.0.2.20', duration));
    for (let duration = 1; duration <= 6; duration++) windowOf(builder, flow('192.0.2.21', duration));
    builder.setCard(durationOnly);
    expect(windowOf(builder, flow('192.0.2.20', 4))).toEqual([1, 2, 3, 4]);
    expect(windowOf(builder, flow('192.0.2.20', 5))).toEqual([2, 3, 4, 5]);
    expect(windowOf(builder, flow('192.0.2.21', 7))).toEqual([4, 5, 6, 7]);
  });

  it('writes at the given offset of a batch buffer', () => {
    const builder = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const batch = new Float32Array(builder.windowSize * 2).fill(99);
    expect(builder.append(flow('192.0.2.1', 1), batch, builder.windowSize)).toBe('ok');
    expect(batch[0]).toBe(99);
    expect(batch[builder.windowSize * 2 - 3]).toBe(1);
  });
});

describe('window builder histories across a restart', () => {
  const durations = (window: number[]) => window.filter((_, i) => i % 3 === 0);

  it('restores full and partial histories in order', () => {
    const before = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    for (let duration = 1; duration <= 6; duration++) windowOf(before, flow('192.0.2.1', duration));
    windowOf(before, flow('192.0.2.2', 40));
    windowOf(before, flow('192.0.2.2', 41));

    const after = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    expect(after.importHistories(before.exportHistories(100))).toBe(2);
    expect(durations(windowOf(after, flow('192.0.2.1', 7)))).toEqual([4, 5, 6, 7]);
    expect(durations(windowOf(after, flow('192.0.2.2', 42)))).toEqual([-1, 40, 41, 42]);
    expect(durations(windowOf(after, flow('192.0.2.3', 1)))).toEqual([-1, -1, -1, 1]);
  });

  it('exports the most recently seen sources first and keeps that order', () => {
    const before = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) windowOf(before, flow(address, 1));
    const snapshot = before.exportHistories(2);
    expect(snapshot.groups).toEqual(['192.0.2.3', '192.0.2.2']);
    expect(snapshot.counts).toEqual([1, 1]);

    const after = new WindowBuilder(card, { windowLength: 4, maxSources: 2 });
    after.importHistories(snapshot);
    expect(after.exportHistories(10).groups).toEqual(['192.0.2.3', '192.0.2.2']);
  });

  it('puts restored rows before rows stored since', () => {
    const before = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(before, flow('192.0.2.1', 1));
    windowOf(before, flow('192.0.2.1', 2));
    const after = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    windowOf(after, flow('192.0.2.1', 3));
    after.importHistories(before.exportHistories(10));
    expect(durations(windowOf(after, flow('192.0.2.1', 4)))).toEqual([1, 2, 3, 4]);
  });

  it('rejects a snapshot whose rows do not match its counts', () => {
    const after = new WindowBuilder(card, { windowLength: 4, maxSources: 10 });
    const rows = new Float32Array(79);
    expect(() => after.importHistories({ windowLength: 4, groups: ['192.0.2.1'], counts: [2], rows })).toThrow(/invalid history snapshot: 79 values for 1 groups, expected 158/);
  });
});
