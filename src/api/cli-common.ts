import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cliBadUrl, cliUsage } from '../errors/api.ts';
import { formatDuration } from './address.ts';
import { ApiClient, DEFAULT_API_URL } from './client.ts';

/** Options every API client command takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Pagination options of the list commands. */
export const PAGE_OPTIONS = {
  limit: { type: 'string' },
  offset: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_HELP = [
  '  --url URL       gateway API base URL (default: FLOWGUARD_API_URL or http://127.0.0.1:8780)',
  '  --token TOKEN   bearer token (default: FLOWGUARD_API_TOKEN; prefer the variable, flags show in ps)',
  '  --json          print the JSON response instead of a table',
  '  -h, --help      show this help',
];

/** parseArgs that reports unknown options and missing values as a usage error (exit code 2). */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (err) {
    throw cliUsage(command, (err as Error).message.replace(/\.$/, ''));
  }
}

/** Formats a duration to whole seconds for tables: jittered block lengths carry milliseconds. */
export function formatWholeSeconds(ms: number): string {
  return formatDuration(Math.round(ms / 1000) * 1000);
}

export function createClient(values: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const url = values.url ?? env.FLOWGUARD_API_URL ?? DEFAULT_API_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    const source = values.url === undefined ? 'FLOWGUARD_API_URL' : '--url';
    throw cliBadUrl(source, url, DEFAULT_API_URL);
  }
  let actor: string | undefined;
  try {
    actor = userInfo().username;
  } catch {
    actor = undefined;
  }
  return new ApiClient({
    url,
    token: values.token ?? env.FLOWGUARD_API_TOKEN,
    actor: actor ? `cli:${actor}` : 'cli',
  });
}

/** Parses an integer option, or throws a usage error naming the option. */
export function integerOption(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw cliUsage(command, `Invalid --${name} '${value}': expected a whole number`);
  return Number(value);
}

/** Formats rows as left-aligned columns under a header line. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((text, column) => text.padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type CommandValues<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

/**
 * Runs an API client command that takes options only: parses `argv`, prints `help` for --help,
 * rejects positional arguments as a usage error, and closes the client after `body`.
 */
export async function runClientCommand<const O extends NonNullable<ParseArgsConfig['options']> & typeof CONNECTION_OPTIONS>(
  command: string,
  argv: string[],
  options: O,
  help: string,
  body: (values: CommandValues<O>, client: ApiClient) => Promise<number>,
): Promise<number> {
  const parsed = parseCommandArgs(command, { args: argv, options, allowPositionals: true });
  const values = parsed.values as CommandValues<O> & { help?: boolean; url?: string; token?: string };
  const positionals = parsed.positionals;
  if (values.help) {
    process.stdout.write(help + '\n');
    return 0;
  }
  if (positionals.length > 0) throw cliUsage(command, `Unexpected arguments: ${positionals.join(' ')}`);
  const client = createClient(values);
  try {
    return await body(values, client);
  } finally {
    await client.close();
  }
}
