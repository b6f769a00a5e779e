import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';

const PYTHON = '/usr/bin/python3';
const WEDNESDAY_ROWS = sharedPath('csv', 'ramyapadala_cicids2017_wednesday_first9998rows.csv');
const SLOWLORIS_SAMPLE = sharedPath('csv', 'ioannis_CICIDS17_SAMPLE500.converted.csv');

interface CheckJson {
  layout: string;
  impliedMode: string;
  flagOrder: string | null;
  checks: { id: string; passed: boolean; detail: string }[];
}

async function runPython(args: string[]) {
  return execa(PYTHON, args, { cwd: REPO_ROOT, reject: false, all: true, timeout: 150_000 });
}

describe('window grouping', () => {
  it('groups IPv6 by /64 and mapped IPv4 as IPv4', async () => {
    const script = [
      'import json, numpy as np',
      'from loading import source_group',
      'from windows import window_indices',
      "addresses = ['10.0.0.1', '2001:db8:1:2::10', '2001:db8:1:2:ffff::1', '2001:db8:1:3::10', '::ffff:10.0.0.1', '10.0.0.2']",
      'groups = np.array([source_group(a) for a in addresses], dtype=object)',
      'print(json.dumps({"groups": list(groups), "windows": window_indices(groups, 3).tolist()}))',
    ].join('\n');
    const result = await execa(PYTHON, ['-c', script], { cwd: join(REPO_ROOT, 'train'), reject: false, all: true });
    expect(result.exitCode, result.all).toBe(0);
    const output = JSON.parse(result.stdout) as { groups: string[]; windows: number[][] };
    expect(output.groups).toEqual(['10.0.0.1', '2001:db8:1:2::/64', '2001:db8:1:2::/64', '2001:db8:1:3::/64', '10.0.0.1', '10.0.0.2']);
    expect(output.windows).toEqual([
      [-1, -1, 0],
      [-1, -1, 1],
      [-1, 1, 2],
      [-1, -1, 3],
      [-1, 0, 4],
      [-1, -1, 5],
    ]);
  });
});

describe.skipIf(!hasSharedData)('CIC-IDS2017 rows', () => {
  reportMissingSharedData('CIC-IDS2017 training path');
  const work = mkdtempSync(join(tmpdir(), 'flowguard-cic-'));

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('checks V1-V13 imply cic2017 with java8 flags', async () => {
    const result = await runPython(['train/checks.py', '--json', WEDNESDAY_ROWS, SLOWLORIS_SAMPLE]);
    expect(result.exitCode, result.all).toBe(0);
    const reports = JSON.parse(result.stdout) as Record<string, CheckJson>;
    for (const file of [WEDNESDAY_ROWS, SLOWLORIS_SAMPLE]) {
      const report = reports[file]!;
      expect(report.layout, file).toBe('MachineLearningCVE');
      expect(report.impliedMode, file).toBe('cic2017');
      expect(report.flagOrder, file).toBe('java8');
      const failed = report.checks.filter((check) => !check.passed).map((check) => check.id);
      // The sample's header renames Init_Win_bytes_backward, which V1 reports.
      expect(failed, file).toEqual(file === SLOWLORIS_SAMPLE ? ['V1'] : []);
    }
  });

  it('trains one epoch in cic2017 mode with 67 features', async () => {
    const result = await runPython([
      'train/train.py',
      '--data', WEDNESDAY_ROWS,
      '--data', SLOWLORIS_SAMPLE,
      '--out', work,
      '--name', 'cic-smoke',
      '--holdout', 'none',
      '--epochs', '1',
      '--max-rows-per-file', '2000',
      '--arch', '1',
    ]);
    expect(result.exitCode, result.all).toBe(0);
    const card = JSON.parse(readFileSync(join(work, 'cic-smoke.card.json'), 'utf8'));
    expect(card.flowMeterMode).toBe('cic2017');
    expect(card.featureNames).toHaveLength(67);
    expect(card.featureNames).not.toContain('Protocol');
    expect(card.input.shape).toEqual([-1, 10, 67]);
    expect(card.notes.join(' ')).toContain('Protocol');
    const wednesday = card.corpus.files.find((file: { name: string }) => file.name.startsWith('ramyapadala'));
    expect(wednesday.rowsDroppedNonFinite).toBe(17);
    expect(wednesday.windowGrouping).toBe('file-order');
  });
});
