import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { resolveConfig, resolveInstallPath, DEFAULT_MODEL_PATH } from '../gateway/config.ts';
import { Gateway } from '../gateway/gateway.ts';
import { runUntilSignal } from '../gateway/run-until-signal.ts';

export const summary = 'Replay the bundled lab capture through the whole pipeline with the dashboard (dry-run)';

/** Lab capture shipped with flowguard: benign clients plus one real attack, a few MB. */
export const DEMO_CAPTURE = 'demo/sample.pcap';

const HELP = `Usage: flowguard demo [--port N] [--capture FILE] [--once] [--pace recorded|full]

Replays a capture recorded in flowguard's lab (benign clients and a real attack) through
capture → flows → LSTM → policy at its recorded pace, with the API and the dashboard on
http://127.0.0.1:PORT/ and enforcement in dry-run: decisions are recorded, nothing is blocked
in the kernel. Nothing to configure; stop it with Ctrl-C.

Options:
      --port N         API and dashboard port (default 8780)
      --capture FILE   another capture file to replay (default ${DEMO_CAPTURE})
      --once           stop after one pass instead of looping
      --pace MODE      'recorded' (default) or 'full' speed
  -h, --help           show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      capture: { type: 'string' },
      once: { type: 'boolean' },
      pace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = values.port === undefined ? 8780 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`flowguard demo: --port must be a whole number from 0 to 65535, got '${values.port}'\n`);
    return 2;
  }
  const pace = values.pace ?? 'recorded';
  if (pace !== 'recorded' && pace !== 'full') {
    process.stderr.write(`flowguard demo: --pace must be 'recorded' or 'full', got '${pace}'\n`);
    return 2;
  }
  const capture = values.capture ?? resolveInstallPath(DEMO_CAPTURE);
  if (!existsSync(capture)) {
    process.stderr.write(`flowguard demo: capture file '${capture}' not found; reinstall flowguard or pass --capture FILE\n`);
    return 2;
  }
  const modelPath = resolveInstallPath(DEFAULT_MODEL_PATH);
  if (!existsSync(modelPath)) {
    process.stderr.write(`flowguard demo: model '${modelPath}' not found; reinstall flowguard or train one (npm run train)\n`);
    return 2;
  }

  const token = process.env.FLOWGUARD_API_TOKEN ?? randomBytes(18).toString('base64url');
  const stateDirectory = await mkdtemp(join(tmpdir(), 'flowguard-demo-'));
  const config = resolveConfig(
    { stateDirectory, api: { port, token }, enforcement: { monitor: false }, scorer: { modelPath } },
    'demo defaults',
  );
  const logger = createLogger({ level: 'info' });
  const gateway = new Gateway({
    config,
    logger,
    memoryBackend: true,
    source: {
      kind: 'replay',
      file: capture,
      pace,
      loop: !values.once,
      onPassEnd: values.once ? () => process.kill(process.pid, 'SIGTERM') : undefined,
    },
  });
  await gateway.start();
  process.stdout.write(
    [
      '',
      `flowguard demo: replaying ${capture}`,
      `  dashboard:  ${gateway.apiUrl}/`,
      `  API token:  ${token}   (paste it into the dashboard to unblock)`,
      `  try:        curl -s ${gateway.apiUrl}/blocks | head -c 600`,
      '  enforcement is in dry-run: blocks are listed but no kernel rule is added; stop with Ctrl-C',
      '',
    ].join('\n'),
  );
  const code = await runUntilSignal(gateway, logger);
  await rm(stateDirectory, { recursive: true, force: true });
  return code;
}
