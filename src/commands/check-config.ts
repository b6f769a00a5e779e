import { parseArgs } from 'node:util';
import { loadConfigFile } from '../gateway/config.ts';

export const summary = 'Validate a gateway config file and report every problem at once';

const HELP = `Usage: flowguard check-config FILE [--print-config]

Reads FILE (YAML), checks it against the gateway's config schema and reports every unknown
key, wrong type and out-of-range value with its key path and the allowed values.

Options:
      --print-config   print the effective config (defaults filled in) as JSON
  -h, --help           show this help

Exit status: 0 valid, 2 invalid or unreadable.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'print-config': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`flowguard check-config: expected one config file, got ${positionals.length}\n${HELP}`);
    return 2;
  }
  const config = await loadConfigFile(positionals[0]);
  if (values['print-config']) process.stdout.write(JSON.stringify(config, null, 2) + '\n');
  else process.stdout.write(`${positionals[0]}: valid\n`);
  return 0;
}
