import { access, constants, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readCaptureFile } from '../capture/index.ts';
import { LabelledFlowWriter, type LabellingSummary } from '../dataset/labelled-flow-writer.ts';
import { Labeller, parseLabels } from '../dataset/labels.ts';
import { fileOpenError } from '../errors/capture.ts';
import { labError } from '../errors/lab.ts';
import { createFlowMeter, openFileSink, type FlowMeterMode } from '../flows/index.ts';

export const summary = 'Extract labelled flows from a lab capture (pcap + labels file) into a CIC-IDS2017 CSV';

const USAGE = `Usage: flowguard dataset --pcap FILE --labels FILE -o FLOWS.csv [--mode corrected|cic2017]

Runs the flow meter over a capture and writes one CSV row per flow (the 85 columns of the
CIC-IDS2017 GeneratedLabelledFlows files). The Label column is the label of the span in the
labels file that covers the flow's source address and start time; a flow whose source is the
target takes its destination's label. Flows no span covers are left out and counted.

  --pcap FILE     capture written by the lab (pcap or pcapng)
  --labels FILE   labels file of the same run (<name>.labels.json)
  -o, --output    CSV file to write ('-' for standard output)
  --mode MODE     flow meter mode: corrected (default) or cic2017 (IPv4 only, as in 2017)
  --help          show this text

A one-line JSON summary (rows per label, flows left out) goes to standard error.`;

const MODES: readonly FlowMeterMode[] = ['corrected', 'cic2017'];

export interface DatasetSummary extends LabellingSummary {
  packetsRead: number;
  flowsExported: number;
  mode: FlowMeterMode;
}

/** Extracts labelled flows from `pcapPath` into `outputPath` and returns the counts. */
export async function buildDataset(pcapPath: string, labelsPath: string, outputPath: string, mode: FlowMeterMode): Promise<DatasetSummary> {
  let labelsText: string;
  try {
    labelsText = await readFile(labelsPath, 'utf8');
  } catch (err) {
    throw labError('FG_ERR_LAB_LABELS_INVALID', `labels file ${labelsPath} could not be read (${(err as Error).message}); pass the labels.json a lab run wrote.`, { path: labelsPath }, err);
  }
  const labeller = new Labeller(parseLabels(labelsText, labelsPath));
  // Checked before the output is opened, so a wrong path leaves no empty CSV behind.
  await access(pcapPath, constants.R_OK).catch((err: unknown) => {
    throw fileOpenError(pcapPath, err);
  });
  const writer = new LabelledFlowWriter(labeller, openFileSink(outputPath));
  const meter = createFlowMeter({ mode }, (record) => writer.write(record));
  let labelling: LabellingSummary;
  let packetsRead = 0;
  try {
    const stats = await readCaptureFile(pcapPath, (packet) => meter.ingest(packet));
    packetsRead = stats.packetsRead;
    for (const warning of stats.warnings) process.stderr.write(`flowguard dataset: warning: ${warning}\n`);
    meter.flush();
  } finally {
    labelling = writer.close();
  }
  return { ...labelling, packetsRead, flowsExported: meter.stats.exportedTotal, mode };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        pcap: { type: 'string' },
        labels: { type: 'string' },
        output: { type: 'string', short: 'o' },
        mode: { type: 'string', default: 'corrected' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw labError('FG_ERR_LAB_BAD_OPTION', `${(err as Error).message}; run 'flowguard dataset --help' for the options.`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const missing = (['pcap', 'labels', 'output'] as const).filter((name) => !values[name]);
  if (missing.length > 0) {
    process.stderr.write(`flowguard dataset: missing ${missing.map((name) => `--${name}`).join(', ')}.\n${USAGE}\n`);
    return 2;
  }
  const mode = values.mode as FlowMeterMode;
  if (!MODES.includes(mode)) {
    throw labError('FG_ERR_LAB_BAD_OPTION', `--mode ${values.mode} is invalid; use corrected or cic2017.`);
  }
  const result = await buildDataset(values.pcap!, values.labels!, values.output!, mode);
  process.stderr.write(`${JSON.stringify(result)}\n`);
  return 0;
}
