import { describe, expect, it } from 'vitest';
import { GENERATED_LABELLED_FLOWS_HEADERS } from '../../src/flows/columns.ts';
import { createCsvWriter } from '../../src/flows/csv-writer.ts';
import { memorySink } from '../../src/flows/flow-sink.ts';
import { createJsonLinesWriter } from '../../src/flows/jsonl-writer.ts';
import { formatTimestampUs } from '../../src/flows/record-format.ts';
import { runMeter } from './run-meter.ts';
import * as V from './vectors.ts';

describe('CSV writer', () => {
  it('writes the 85 GeneratedLabelledFlows headers', () => {
    const sink = memorySink();
    const writer = createCsvWriter(sink);
    writer.close();
    const header = sink.text().split('\n')[0];
    expect(header.split(',')).toEqual([...GENERATED_LABELLED_FLOWS_HEADERS]);
    expect(header.startsWith('Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration')).toBe(true);
    expect(header.endsWith(' Idle Min, Label')).toBe(true);
  });

  it('writes a cic2017 row as Java printed it', () => {
    const { records } = runMeter(V.T1, { mode: 'cic2017' });
    const sink = memorySink();
    const writer = createCsvWriter(sink);
    for (const record of records) writer.write(record);
    writer.close();
    const cells = sink.text().trimEnd().split('\n')[1].split(',');
    expect(cells).toHaveLength(85);
    expect(cells.slice(0, 7)).toEqual(['192.168.10.5-104.16.207.165-54865-443-6', '104.16.207.165', '443', '192.168.10.5', '54865', '6', '2017-07-05T11:46:12.000000Z']);
    expect(cells.slice(7, 84).map(Number)).toEqual(V.parseJavaRow(V.T1_CIC2017[0]).slice(1));
    expect(cells[84]).toBe('');
    expect(writer.recordsWritten).toBe(1);
  });

  it('prints Infinity and NaN in cic2017 mode', () => {
    const sameTime = [
      { t: 0, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, protocol: 17, pl: 10, linkType: 101 },
      { t: 0, src: '10.0.0.2', dst: '10.0.0.1', sport: 2, dport: 1, protocol: 17, pl: 0, linkType: 101 },
    ];
    const { records } = runMeter(sameTime, { mode: 'cic2017' });
    const sink = memorySink();
    const writer = createCsvWriter(sink, { label: () => 'BENIGN' });
    writer.write(records[0]);
    writer.close();
    const cells = sink.text().trimEnd().split('\n')[1].split(',');
    expect(cells[GENERATED_LABELLED_FLOWS_HEADERS.indexOf('Flow Bytes/s')]).toBe('Infinity');
    expect(cells[GENERATED_LABELLED_FLOWS_HEADERS.indexOf(' Flow Packets/s')]).toBe('Infinity');
    expect(cells[84]).toBe('BENIGN');
  });
});

describe('JSON-lines writer', () => {
  it('carries the extra fields and named features', () => {
    const { records } = runMeter(V.T2);
    const sink = memorySink();
    const writer = createJsonLinesWriter(sink);
    writer.write(records[0]);
    writer.close();
    const line = JSON.parse(sink.text().trimEnd());
    expect(line.exportReason).toBe('fin');
    expect(line.handshakeSeen).toBe(true);
    expect(line.srcAddr).toBe('192.168.10.5');
    expect(line.startUs).toBe(records[0].startUs);
    expect(line.features['Flow Duration']).toBe(5_400_200);
    expect(Object.keys(line.features)).toHaveLength(78);
  });
});

describe('timestamp format', () => {
  it('keeps microseconds in UTC', () => {
    expect(formatTimestampUs(1_499_255_172_897_241)).toBe('2017-07-05T11:46:12.897241Z');
    expect(formatTimestampUs(5)).toBe('1970-01-01T00:00:00.000005Z');
  });
});
