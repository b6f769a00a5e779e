import { cliUsage } from '../errors/api.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, createClient, formatTable, formatWholeSeconds, parseCommandArgs } from '../api/cli-common.ts';

export const summary = 'Show the totals and health of a running gateway';

const HELP = ['Usage: flowguard stats', '', 'Options:', ...CONNECTION_HELP].join('\n');

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('stats', { args: argv, options: CONNECTION_OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw cliUsage('stats', `Unexpected arguments: ${positionals.join(' ')}`);
  const client = createClient(values);
  try {
    const [stats, health] = await Promise.all([client.stats(), client.health()]);
    if (values.json) {
      process.stdout.write(JSON.stringify({ stats, health }, null, 2) + '\n');
      return 0;
    }
    const rows: string[][] = [
      ['health', health.status + (health.reasons.length > 0 ? `: ${health.reasons.join('; ')}` : '')],
      ['uptime', formatWholeSeconds(stats.uptimeMs)],
      ['packets', String(stats.packets)],
      ['bytes', String(stats.bytes)],
      ['flows', String(stats.flows)],
      ['attack verdicts', String(stats.verdicts.attack)],
      ['benign verdicts', String(stats.verdicts.benign)],
      ['active blocks', String(stats.activeBlocks)],
      ['capture drops', String(stats.captureDrops)],
      ...Object.entries(stats.dropsBySet).map(([set, drops]) => [`dropped by ${set}`, `${drops.packets} packets, ${drops.bytes} bytes`]),
      ...Object.entries(stats.queueDepths).map(([queue, depth]) => [`queue ${queue}`, String(depth)]),
      ...Object.entries(stats.evictions).map(([table, count]) => [`evicted from ${table}`, String(count)]),
    ];
    process.stdout.write(formatTable(['FIGURE', 'VALUE'], rows));
    return health.status === 'ok' ? 0 : 1;
  } finally {
    await client.close();
  }
}
