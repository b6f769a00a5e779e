import { CONNECTION_HELP, CONNECTION_OPTIONS, PAGE_OPTIONS, formatTable, formatTimestamp, integerOption, runClientCommand } from '../api/cli-common.ts';

export const summary = 'List recent verdicts of a running gateway, newest first';

const HELP = [
  'Usage: flowguard verdicts [--source ADDRESS|CIDR] [--label attack|benign] [--since TIME] [--limit N] [--offset N]',
  '',
  '--since takes an RFC 3339 timestamp (2026-12-04T20:00:00Z) or a duration back from now (15m).',
  '',
  'Options:',
  ...CONNECTION_HELP,
].join('\n');

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  source: { type: 'string' },
  label: { type: 'string' },
  since: { type: 'string' },
  ...PAGE_OPTIONS,
} as const;

export async function run(argv: string[]): Promise<number> {
  return runClientCommand('verdicts', argv, OPTIONS, HELP, async (values, client) => {
    const page = await client.listVerdicts({
      source: values.source,
      label: values.label,
      since: values.since,
      limit: integerOption('verdicts', 'limit', values.limit),
      offset: integerOption('verdicts', 'offset', values.offset),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(page, null, 2) + '\n');
      return 0;
    }
    const rows = page.items.map((verdict) => [
      formatTimestamp(verdict.scoredAtMs),
      `${verdict.srcAddr}:${verdict.srcPort}`,
      `${verdict.dstAddr}:${verdict.dstPort}`,
      String(verdict.protocol),
      verdict.probability.toFixed(3),
      verdict.label,
    ]);
    process.stdout.write(formatTable(['SCORED', 'SOURCE', 'DESTINATION', 'PROTO', 'P(ATTACK)', 'LABEL'], rows));
    process.stdout.write(`${page.items.length} of ${page.total} verdicts\n`);
    return 0;
  });
}
