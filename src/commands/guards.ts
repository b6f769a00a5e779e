import { cliUsage } from '../errors/api.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, createClient, formatTable, parseCommandArgs } from '../api/cli-common.ts';
import type { PolicyStatus } from '../api/services.ts';

export const summary = 'Show or reset the policy block guards of a running gateway';

const HELP = [
  'Usage: flowguard guards status|reset',
  '',
  'status   whether the policy enforces or only records decisions, and which guard tripped',
  'reset    clear a tripped guard so enforcement resumes with the next decision (needs the token)',
  '',
  'Options:',
  ...CONNECTION_HELP,
].join('\n');

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('guards', { args: argv, options: CONNECTION_OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const [action, ...rest] = positionals;
  if ((action !== 'status' && action !== 'reset') || rest.length > 0) {
    throw cliUsage('guards', `expected 'status' or 'reset', got '${positionals.join(' ') || 'nothing'}'`);
  }
  const client = createClient(values);
  try {
    const status = action === 'reset' ? await client.resetGuards() : await client.policyStatus();
    if (values.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
    else process.stdout.write(formatTable(['FIGURE', 'VALUE'], describe(status)));
    return 0;
  } finally {
    await client.close();
  }
}

function describe(status: PolicyStatus): string[][] {
  const guard = status.trippedGuard;
  return [
    ['mode', status.dryRun ? 'dry-run (decisions recorded, nothing blocked)' : 'enforcing'],
    ['configured dry-run', String(status.configuredDryRun)],
    ['tripped guard', guard ? `${guard.guard}: ${guard.value} > ${guard.limit}${guard.prefix ? ` in ${guard.prefix}` : ''}` : 'none'],
  ];
}
