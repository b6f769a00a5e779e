import { beforeAll, describe, expect, it } from 'vitest';
import { extractFile } from '../../src/flows/extract-file.ts';
import type { FlowRecord } from '../../src/flows/flow-record.ts';
import { hasSharedData, listCaptures, reportMissingSharedData } from '../helpers/shared-data.ts';
import { countViolations, paddingShare } from './cic2017-checks.ts';

reportMissingSharedData('cic2017 checks on our own output');

describe.skipIf(!hasSharedData)('cic2017 output of the shared captures', () => {
  const perCapture = new Map<string, FlowRecord[]>();
  beforeAll(async () => {
    for (const capture of [...(await listCaptures('attacks')), ...(await listCaptures('benign'))]) {
      const records: FlowRecord[] = [];
      await extractFile(capture, { mode: 'cic2017' }, (record) => records.push(record));
      perCapture.set(capture, records);
    }
  });

  it('V2 to V13 hold on every flow', () => {
    const failures: string[] = [];
    for (const [capture, records] of perCapture) {
      const violations = countViolations(records.map((record) => record.features));
      for (const [check, count] of Object.entries(violations)) if (count > 0) failures.push(`${capture}: ${check}: ${count} of ${records.length}`);
    }
    expect(failures).toEqual([]);
  });

  it('V11 shows padding counted as payload', () => {
    const all = [...perCapture.values()].flat().map((record) => record.features);
    const share = paddingShare(all);
    process.stderr.write(`V11 padding share on our cic2017 output: ${(share * 100).toFixed(1)}% of ${all.length} flows\n`);
    expect(share).toBeGreaterThan(0);
  });

  it('UDP flood of one-packet flows writes nothing', () => {
    // Every flood packet has a new source port, and the 2017 build never wrote one-packet flows.
    const flood = [...perCapture.entries()].find(([capture]) => capture.endsWith('doup123_udp_flood.pcap'));
    expect(flood?.[1]).toHaveLength(0);
  });
});

describe.skipIf(!hasSharedData)('corrected output of every shared capture', () => {
  it('is finite, non-negative in time and complete', async () => {
    const problems: string[] = [];
    let flows = 0;
    for (const capture of [...(await listCaptures('attacks')), ...(await listCaptures('benign')), ...(await listCaptures('edge'))]) {
      const records: FlowRecord[] = [];
      let result;
      try {
        result = await extractFile(capture, {}, (record) => records.push(record));
      } catch (err) {
        // Files the reader rejects (bad header, unsupported version) have no flows to check.
        if ((err as { code?: string }).code?.startsWith('FG_ERR_CAPTURE')) continue;
        throw err;
      }
      flows += records.length;
      for (const record of records) {
        if (!Array.from(record.features).every(Number.isFinite)) problems.push(`${capture}: non-finite feature in ${record.flowId}`);
        if (record.features[1] < 0 || record.endUs < record.startUs) problems.push(`${capture}: negative duration in ${record.flowId}`);
      }
      const metered = records.reduce((sum, record) => sum + record.features[2] + record.features[3], 0);
      if (metered !== result.meter.packetsMetered) problems.push(`${capture}: ${result.meter.packetsMetered} packets metered but ${metered} in records`);
    }
    expect(problems).toEqual([]);
    expect(flows).toBeGreaterThan(1000);
  });

  it('UDP flood gives one flow per packet', async () => {
    const records: FlowRecord[] = [];
    const [flood] = (await listCaptures('attacks')).filter((capture) => capture.endsWith('doup123_udp_flood.pcap'));
    await extractFile(flood, {}, (record) => records.push(record));
    expect(records).toHaveLength(10_000);
  });
});
