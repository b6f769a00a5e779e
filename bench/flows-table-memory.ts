/**
 * Child process of the flow meter benchmark: meters a capture with a table of up to 1,000,000
 * flows, without exporting them first, and prints the peak resident set size as JSON. A separate
 * process keeps the figure free of what the benchmark itself allocated.
 */
import { readCaptureFile } from '../src/capture/index.ts';
import { createFlowMeter } from '../src/flows/index.ts';

const [path, mode] = process.argv.slice(2);
const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
const meter = createFlowMeter({ mode: mode === 'cic2017' ? 'cic2017' : 'corrected', maxFlows: 1_000_000 }, () => undefined);
await readCaptureFile(path, (packet) => meter.ingest(packet));
const flowsInTable = meter.stats.flowsActive;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ flowsInTable, peakRssMB, baselineRssMB }) + '\n');
