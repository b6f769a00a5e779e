import { CONNECTION_HELP, CONNECTION_OPTIONS, PAGE_OPTIONS, formatTable, formatTimestamp, formatWholeSeconds, integerOption, runClientCommand } from '../api/cli-common.ts';

export const summary = 'List recent decisions of a running gateway (blocks, unblocks, expiries, would-blocks), newest first';

const HELP = [
  'Usage: flowguard decisions [--target ADDRESS|CIDR] [--action block|unblock|expire|skip] [--since TIME] [--limit N] [--offset N]',
  '',
  "A 'skip' is a decision that changed nothing: a block the policy would have made in dry-run or",
  'while a guard holds it, or one refused for an allowlisted, own or recently unblocked address.',
  '--since takes an RFC 3339 timestamp (2026-12-04T20:00:00Z) or a duration back from now (15m).',
  '',
  'Options:',
  ...CONNECTION_HELP,
].join('\n');

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  target: { type: 'string' },
  action: { type: 'string' },
  since: { type: 'string' },
  ...PAGE_OPTIONS,
} as const;

export async function run(argv: string[]): Promise<number> {
  return runClientCommand('decisions', argv, OPTIONS, HELP, async (values, client) => {
    const page = await client.listDecisions({
      target: values.target,
      action: values.action,
      since: values.since,
      limit: integerOption('decisions', 'limit', values.limit),
      offset: integerOption('decisions', 'offset', values.offset),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(page, null, 2) + '\n');
      return 0;
    }
    const rows = page.items.map((decision) => [
      formatTimestamp(decision.atMs),
      decision.action,
      decision.target,
      decision.durationMs === undefined ? '-' : formatWholeSeconds(decision.durationMs),
      `${decision.origin}/${decision.actor}`,
      decision.reason,
    ]);
    process.stdout.write(formatTable(['AT', 'ACTION', 'TARGET', 'DURATION', 'BY', 'REASON'], rows));
    process.stdout.write(`${page.items.length} of ${page.total} decisions\n`);
    return 0;
  });
}
