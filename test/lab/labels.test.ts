import { describe, expect, it } from 'vitest';
import { Labeller, parseLabels, LABELS_FORMAT, type LabelsFile } from '../../src/dataset/labels.ts';
import { isFlowguardError } from '../../src/errors/index.ts';

const S = 1_000_000;

function labels(): LabelsFile {
  return {
    format: LABELS_FORMAT,
    scenario: 'syn-flood-spoofed',
    seed: 1,
    mode: 'router',
    captureStartUs: 0,
    captureEndUs: 100 * S,
    targetAddresses: ['10.231.2.10', 'fd00:231:0:2::10'],
    spans: [
      { source: '10.231.1.11', startUs: 0, endUs: 100 * S, label: 'BENIGN', host: 'c1', tool: 'benign' },
      { source: 'fd00:231:0:1::14', startUs: 0, endUs: 100 * S, label: 'BENIGN', host: 'c4', tool: 'benign' },
      { source: '10.231.1.101', startUs: 10 * S, endUs: 30 * S, label: 'DoS SYN flood', host: 'a1', tool: 'hping3' },
      { source: '10.231.1.101', startUs: 40 * S, endUs: 50 * S, label: 'DoS Hulk', host: 'a1', tool: 'hulk' },
      { source: '0.0.0.0/0', startUs: 10 * S, endUs: 30 * S, label: 'DoS SYN flood', host: 'spoofed', tool: 'hping3' },
    ],
  };
}

describe('labeller', () => {
  const labeller = new Labeller(labels());

  it('labels a flow by its source span', () => {
    expect(labeller.decide('10.231.1.11', '10.231.2.10', 5 * S).label).toBe('BENIGN');
    expect(labeller.decide('10.231.1.101', '10.231.2.10', 20 * S).label).toBe('DoS SYN flood');
    expect(labeller.decide('10.231.1.101', '10.231.2.10', 45 * S).label).toBe('DoS Hulk');
  });

  it('matches IPv6 sources in any spelling', () => {
    expect(labeller.decide('fd00:0231:0000:0001:0000:0000:0000:0014', 'fd00:231:0:2::10', 5 * S).label).toBe('BENIGN');
  });

  it('leaves a flow outside every span unlabelled', () => {
    expect(labeller.decide('10.231.1.101', '10.231.2.10', 35 * S)).toEqual({ label: undefined, reason: 'no-span' });
    expect(labeller.decide('fe80::1', 'ff02::1', 5 * S).label).toBeUndefined();
  });

  it('labels flows from the target by destination', () => {
    const decision = labeller.decide('10.231.2.10', '10.231.1.101', 20 * S);
    expect(decision.label).toBe('DoS SYN flood');
    expect(decision.label !== undefined && decision.by).toBe('destination');
    expect(labeller.decide('fd00:231:0:2::10', 'fd00:231:0:1::14', 20 * S).label).toBe('BENIGN');
  });

  it('gives forged sources the spoofed span', () => {
    expect(labeller.decide('203.0.113.7', '10.231.2.10', 15 * S).label).toBe('DoS SYN flood');
    expect(labeller.decide('203.0.113.7', '10.231.2.10', 60 * S).label).toBeUndefined();
  });

  it('prefers a host span over the spoofed block', () => {
    const decision = labeller.decide('10.231.1.11', '10.231.2.10', 15 * S);
    expect(decision.label).toBe('BENIGN');
  });

  it('rejects a file of another format', () => {
    const bad = JSON.stringify({ ...labels(), format: 'other/1' });
    expect(() => parseLabels(bad, 'x.json')).toThrow(/format 'other\/1'/);
    let caught: unknown;
    try {
      parseLabels('{', 'y.json');
    } catch (err) {
      caught = err;
    }
    expect(isFlowguardError(caught, 'FG_ERR_LAB_LABELS_INVALID')).toBe(true);
  });

  it('rejects a span with an invalid source', () => {
    const file = labels();
    file.spans[0].source = 'not-an-address';
    expect(() => parseLabels(JSON.stringify(file), 'z.json')).toThrow(/span 0/);
  });
});
