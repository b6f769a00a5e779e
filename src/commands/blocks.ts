import { cliUsage } from '../errors/api.ts';
import { formatDuration } from '../api/address.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, PAGE_OPTIONS, createClient, formatTable, formatTimestamp, formatWholeSeconds, integerOption, parseCommandArgs } from '../api/cli-common.ts';
import type { BlockEntry } from '../api/services.ts';

export const summary = 'List, add and remove blocks on a running gateway (blocks list|add|remove)';

const HELP = [
  'Usage:',
  '  flowguard blocks list [--state active|expired] [--origin auto|manual|kernel-ratelimit] [--family 4|6] [--limit N] [--offset N]',
  '  flowguard blocks add ADDRESS|CIDR --duration DURATION --reason TEXT',
  '  flowguard blocks remove ADDRESS|CIDR [--grace DURATION]',
  '',
  'Durations are whole numbers with units ms, s, m, h or d (90s, 10m, 1h30m).',
  '--grace keeps the policy from blocking the address again for that long (up to 1d).',
  '',
  'Options:',
  ...CONNECTION_HELP,
].join('\n');

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  state: { type: 'string' },
  origin: { type: 'string' },
  family: { type: 'string' },
  ...PAGE_OPTIONS,
  duration: { type: 'string' },
  reason: { type: 'string' },
  grace: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('blocks', { args: argv, options: OPTIONS, allowPositionals: true });
  const [action, target, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (extra.length > 0) throw cliUsage('blocks', `Unexpected arguments: ${extra.join(' ')}`);

  const client = createClient(values);
  try {
    if (action === 'list') {
      if (target !== undefined) throw cliUsage('blocks', `'blocks list' takes no address (got '${target}')`);
      let family: 4 | 6 | undefined;
      if (values.family === '4') family = 4;
      else if (values.family === '6') family = 6;
      else if (values.family !== undefined) throw cliUsage('blocks', `Invalid --family '${values.family}': expected 4 or 6`);
      const page = await client.listBlocks({
        family,
        origin: values.origin,
        state: values.state,
        limit: integerOption('blocks', 'limit', values.limit),
        offset: integerOption('blocks', 'offset', values.offset),
      });
      if (values.json) process.stdout.write(JSON.stringify(page, null, 2) + '\n');
      else printBlocks(page.items, page.total, page.offset);
      return 0;
    }
    if (action === 'add') {
      if (target === undefined) throw cliUsage('blocks', "Missing ADDRESS for 'blocks add'");
      if (values.duration === undefined || values.reason === undefined) throw cliUsage('blocks', "'blocks add' needs --duration and --reason");
      const record = await client.addBlock({ address: target, duration: values.duration, reason: values.reason });
      if (values.json) process.stdout.write(JSON.stringify(record, null, 2) + '\n');
      else process.stdout.write(`Blocked ${record.target} until ${formatTimestamp(record.expiresAtMs)} (${formatWholeSeconds(record.durationMs)}).\n`);
      return 0;
    }
    if (action === 'remove') {
      if (target === undefined) throw cliUsage('blocks', "Missing ADDRESS for 'blocks remove'");
      const entry = await client.removeBlock(target, { grace: values.grace });
      if (values.json) process.stdout.write(JSON.stringify(entry, null, 2) + '\n');
      else process.stdout.write(`Unblocked ${entry.target}${values.grace ? `; the policy will not block it again for ${values.grace}` : ''}.\n`);
      return 0;
    }
    throw cliUsage('blocks', action === undefined ? 'Missing action: list, add or remove' : `Unknown action '${action}': expected list, add or remove`);
  } finally {
    await client.close();
  }
}

function printBlocks(items: BlockEntry[], total: number, offset: number): void {
  const nowMs = Date.now();
  const rows = items.map((block) => [
    block.target,
    block.state,
    block.origin,
    block.state === 'active' ? formatDuration(Math.ceil((block.expiresAtMs - nowMs) / 1000) * 1000) : (block.endReason ?? ''),
    String(block.escalationLevel ?? 0),
    block.reason,
  ]);
  process.stdout.write(formatTable(['TARGET', 'STATE', 'ORIGIN', 'REMAINING', 'LEVEL', 'REASON'], rows));
  process.stdout.write(`${items.length === 0 ? 0 : offset + 1}–${offset + items.length} of ${total} blocks\n`);
}
