import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FlowguardError } from './errors/index.ts';

/**
 * A subcommand lives in `src/commands/<name>.ts` and exports `summary` (one line for the help
 * text) and `run(argv)`, which returns the process exit code.
 */
export interface CommandModule {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS_DIR = new URL('./commands/', import.meta.url);
const COMMAND_NAME = /^[a-z][a-z-]*$/;

async function listCommands(): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(fileURLToPath(COMMANDS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return files
    .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts') && !file.endsWith('.map'))
    .map((file) => file.replace(/\.(js|ts)$/, ''))
    .filter((name) => COMMAND_NAME.test(name))
    .sort();
}

async function loadCommand(name: string): Promise<CommandModule | undefined> {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  try {
    return (await import(new URL(`${name}.${extension}`, COMMANDS_DIR).href)) as CommandModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`${name}.${extension}`)) {
      return undefined;
    }
    throw err;
  }
}

async function printHelp(): Promise<void> {
  const lines = ['Usage: flowguard <command> [options]', '', 'Commands:'];
  for (const name of await listCommands()) {
    const command = await loadCommand(name);
    lines.push(`  ${name.padEnd(14)} ${command?.summary ?? ''}`);
  }
  lines.push('', 'Run `flowguard <command> --help` for the options of one command.');
  process.stdout.write(lines.join('\n') + '\n');
}

/** Runs one CLI invocation and returns the exit code (0 success, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await printHelp();
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMAND_NAME.test(name) ? await loadCommand(name) : undefined;
  if (!command) {
    process.stderr.write(`flowguard: unknown command '${name}'. Run 'flowguard --help' for the list of commands.\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof FlowguardError) {
      process.stderr.write(`flowguard ${name}: ${err.message} [${err.code}]\n`);
      return err.statusCode >= 400 && err.statusCode < 500 ? 2 : 1;
    }
    throw err;
  }
}
