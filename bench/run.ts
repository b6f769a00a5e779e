/**
 * Runs every benchmark module in this folder (`*.bench.ts`) and prints its figures.
 *
 *   npm run bench                 all benchmarks, human-readable
 *   npm run bench -- --json       one JSON object { "<module>.<figure>": value, ... }
 *   npm run bench -- capture      only modules whose name contains "capture"
 *   npm run bench -- --full       the larger sizes named in docs/benchmarks.md
 *
 * A module exports `name` and `run(options)`, which resolves to a flat record of figures.
 * Each figure's key carries its unit (`decodePacketsPerSecond`, `peakRssMB`, `p99LatencyMs`).
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export interface BenchOptions {
  full: boolean;
  log: (line: string) => void;
}

export interface BenchModule {
  name: string;
  run(options: BenchOptions): Promise<Record<string, number | string | boolean | null>>;
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    [
      'Usage: npm run bench -- [NAME ...] [--json] [--full]',
      '',
      'Runs every benchmark module in bench/ (*.bench.ts), or those whose name contains a NAME.',
      '  --json   print all figures as one JSON object on standard output (progress on standard error)',
      '  --full   the larger sizes some modules offer (for example one million mutated packets)',
      'Some modules need root (network namespaces, nft). Results and machines: docs/benchmarks.md.',
      '',
    ].join('\n'),
  );
  process.exit(0);
}
const json = args.includes('--json');
const full = args.includes('--full');
const filters = args.filter((arg) => !arg.startsWith('--'));
const log = json ? (line: string) => process.stderr.write(line + '\n') : (line: string) => process.stdout.write(line + '\n');

const dir = fileURLToPath(new URL('.', import.meta.url));
const files = (await readdir(dir)).filter((file) => file.endsWith('.bench.ts')).sort();
const results: Record<string, unknown> = {
  machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  date: new Date().toISOString(),
};
let failed = false;
for (const file of files) {
  const module = (await import(new URL(file, import.meta.url).href)) as BenchModule;
  if (filters.length > 0 && !filters.some((filter) => module.name.includes(filter))) continue;
  log(`# ${module.name}`);
  try {
    const figures = await module.run({ full, log });
    for (const [key, value] of Object.entries(figures)) {
      results[`${module.name}.${key}`] = value;
      if (!json) log(`  ${key.padEnd(40)} ${typeof value === 'number' ? formatNumber(value) : String(value)}`);
    }
  } catch (err) {
    failed = true;
    results[`${module.name}.error`] = (err as Error).message;
    log(`  failed: ${(err as Error).stack ?? String(err)}`);
  }
}
if (json) process.stdout.write(JSON.stringify(results) + '\n');
process.exitCode = failed ? 1 : 0;

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
}
