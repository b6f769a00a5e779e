import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';
import { countViolations, paddingShare, type FeatureRow } from './cic2017-checks.ts';

reportMissingSharedData('cic2017 checks on published rows');

/** Reads a MachineLearningCVE-style file (78 features and a label column, first or last). */
function readPublishedRows(file: string): FeatureRow[] {
  const lines = readFileSync(sharedPath('csv', file), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',').map((name) => name.trim());
  const labelColumn = header.findIndex((name) => /^labels?$/i.test(name));
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    cells.splice(labelColumn, 1);
    return cells.map((cell) => Number(cell));
  });
}

describe.skipIf(!hasSharedData)('checks on published CIC-IDS2017 rows', () => {
  let rows: FeatureRow[] = [];
  beforeAll(() => {
    rows = [...readPublishedRows('ramyapadala_cicids2017_wednesday_first9998rows.csv'), ...readPublishedRows('ioannis_CICIDS17_SAMPLE500.converted.csv')];
  });

  it('reads all published rows', () => {
    expect(rows).toHaveLength(10_498);
    expect(rows.every((row) => row.length === 78)).toBe(true);
  });

  it('V2 to V13 hold on every row', () => {
    const violations = countViolations(rows);
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((name) => [name, 0])));
  });

  it('V11 shows padding counted as payload', () => {
    expect(paddingShare(rows)).toBeGreaterThan(0.05);
  });
});
