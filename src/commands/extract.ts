import { parseArgs } from 'node:util';
import { invalidExtractArgumentError } from '../errors/flow.ts';
import { createCsvWriter, type FlowRecordWriter } from '../flows/csv-writer.ts';
import { extractFile, type ExtractFileOptions } from '../flows/extract-file.ts';
import { openFileSink } from '../flows/flow-sink.ts';
import { createJsonLinesWriter } from '../flows/jsonl-writer.ts';

export const summary = 'Extract CICFlowMeter flow features from a pcap/pcapng file to CSV or JSON lines';

const HELP = `Usage: flowguard extract FILE -o OUTPUT [options]

Reads a pcap or pcapng file and writes one row per flow: the 85 columns of the CIC-IDS2017
GeneratedLabelledFlows CSV files, or JSON lines with the export reason, times and handshake too.

Options:
  -o, --output PATH          output file, '-' for standard output (required)
      --mode MODE            cic2017 (reproduces the CIC-IDS2017 CSVs) or corrected (default)
      --format FORMAT        csv (default) or jsonl; a .jsonl output name selects jsonl
      --label TEXT           value of the Label column for every row (default: empty)
      --max-flows N          flow table capacity (default 500000)
      --idle-timeout-ms MS   idle timeout of TCP, UDP and other flows, corrected mode (default 120000)
      --active-timeout-ms MS export and continue flows older than this, corrected mode (default off)
  -h, --help                 show this help
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        mode: { type: 'string' },
        format: { type: 'string' },
        label: { type: 'string' },
        'max-flows': { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'active-timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw invalidExtractArgumentError((err as Error).message.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw invalidExtractArgumentError(`expected one capture file, got ${positionals.length} (${positionals.join(' ') || 'none'})`);
  if (values.output === undefined) throw invalidExtractArgumentError('missing -o OUTPUT (a file name, or - for standard output)');
  const mode = values.mode ?? 'corrected';
  if (mode !== 'cic2017' && mode !== 'corrected') throw invalidExtractArgumentError(`invalid --mode '${mode}': use cic2017 or corrected`);
  const format = values.format ?? (values.output.endsWith('.jsonl') ? 'jsonl' : 'csv');
  if (format !== 'csv' && format !== 'jsonl') throw invalidExtractArgumentError(`invalid --format '${format}': use csv or jsonl`);

  const options: ExtractFileOptions = { mode };
  if (values['max-flows'] !== undefined) options.maxFlows = parseInteger('--max-flows', values['max-flows']);
  if (values['idle-timeout-ms'] !== undefined) {
    const idle = parseInteger('--idle-timeout-ms', values['idle-timeout-ms']);
    options.idleTimeoutMs = { tcp: idle, udp: idle, icmp: idle };
  }
  if (values['active-timeout-ms'] !== undefined) options.activeTimeoutMs = parseInteger('--active-timeout-ms', values['active-timeout-ms']);

  const label = values.label;
  const writerOptions = label === undefined ? {} : { label: () => label };
  const sink = openFileSink(values.output);
  const writer: FlowRecordWriter = format === 'csv' ? createCsvWriter(sink, writerOptions) : createJsonLinesWriter(sink, writerOptions);
  let result;
  try {
    result = await extractFile(positionals[0], options, (record) => writer.write(record));
  } finally {
    writer.close();
  }

  const { capture, meter } = result;
  const reasons = Object.entries(meter.exported)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  process.stderr.write(
    `${capture.packetsRead} packets read, ${meter.packetsMetered} metered; ${writer.recordsWritten} flows written (${reasons || 'none'}) in ${mode} mode to ${values.output}\n`,
  );
  for (const warning of capture.warnings) process.stderr.write(`warning: ${warning}\n`);
  return 0;
}

function parseInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw invalidExtractArgumentError(`invalid ${option} '${text}': expected a positive integer`);
  return value;
}
