import { parseArgs } from 'node:util';
import { configInvalidError } from '../errors/config.ts';
import { loadConfigFile } from '../gateway/config.ts';
import { checkDeployment, detectionDelayWarnings } from '../gateway/deployment-check.ts';

export const summary = 'Validate a gateway config file and report every problem at once';

const HELP = `Usage: flowguard check-config FILE [--print-config] [--no-host-checks]

Reads FILE (YAML), checks it against the gateway's config schema and reports every unknown
key, wrong type, out-of-range value and invalid address with its key path and the allowed
values. Then it checks this host: the model file and its card, and the capture interfaces.

Options:
      --print-config     print the effective config (defaults filled in) as JSON
      --no-host-checks   skip the model and interface checks (validating for another host)
  -h, --help             show this help

Exit status: 0 valid, 2 invalid or unreadable.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'print-config': { type: 'boolean' }, 'no-host-checks': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`flowguard check-config: expected one config file, got ${positionals.length}\n${HELP}`);
    return 2;
  }
  const file = positionals[0];
  const config = await loadConfigFile(file);
  for (const warning of detectionDelayWarnings(config)) process.stderr.write(`flowguard check-config: warning: ${warning.path}: ${warning.message}\n`);
  if (!values['no-host-checks']) {
    const { problems, warnings } = await checkDeployment(config, { interfaces: true });
    if (problems.length > 0) throw configInvalidError(file, problems);
    for (const warning of warnings) process.stderr.write(`flowguard check-config: warning: ${warning.path}: ${warning.message}\n`);
  }
  if (values['print-config']) process.stdout.write(JSON.stringify(config, null, 2) + '\n');
  else process.stdout.write(`${file}: valid\n`);
  return 0;
}
