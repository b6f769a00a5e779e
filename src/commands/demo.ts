import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { resolveConfig, resolveInstallPath, DEFAULT_MODEL_PATH } from '../gateway/config.ts';
import { Gateway } from '../gateway/gateway.ts';
import { runUntilSignal } from '../gateway/run-until-signal.ts';
import { isPcapMagic } from '../capture/pcap-format.ts';
import { isPcapngMagic } from '../capture/pcapng-format.ts';

export const summary = 'Replay the bundled lab capture through the whole pipeline with the dashboard (blocks kept in memory, none in the kernel)';

/** Lab capture shipped with flowguard: benign clients plus one real attack, a few MB. */
export const DEMO_CAPTURE = 'demo/sample.pcap';

const HELP = `Usage: flowguard demo [--port N] [--capture FILE] [--once] [--pace recorded|full]

Replays a capture recorded in flowguard's lab (benign clients and a real attack) through
capture → flows → LSTM → policy at its recorded pace, with the API and the dashboard on
http://127.0.0.1:PORT/. The policy blocks as it would on a gateway, but blocks are kept in
memory only: no nftables rule is added. Nothing to configure; stop it with Ctrl-C.

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
  const notCapture = await captureFormatProblem(capture);
  if (notCapture !== undefined) {
    process.stderr.write(`flowguard demo: capture file '${capture}' ${notCapture}; pass a pcap or pcapng file to --capture\n`);
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
  try {
    await gateway.start();
  } catch (err) {
    await gateway.stop().catch(() => undefined);
    await rm(stateDirectory, { recursive: true, force: true });
    if ((err as { code?: string }).code === 'FG_ERR_API_LISTEN_FAILED') {
      process.stderr.write(`flowguard demo: cannot listen on 127.0.0.1 port ${port}, another process may use it; choose another port with --port (0 picks a free one)\n`);
    } else {
      process.stderr.write(`flowguard demo: could not start: ${(err as Error).message}\n`);
    }
    return 1;
  }
  process.stdout.write(
    [
      '',
      `flowguard demo: replaying ${capture}`,
      `  dashboard:  ${gateway.apiUrl}/`,
      `  API token:  ${token}   (paste it into the dashboard to unblock)`,
      `  try:        curl -s ${gateway.apiUrl}/blocks | head -c 600`,
      '  blocks are kept in memory only: they are listed, but no nftables rule is added; stop with Ctrl-C',
      '',
    ].join('\n'),
  );
  const code = await runUntilSignal(gateway, logger);
  await rm(stateDirectory, { recursive: true, force: true });
  return code;
}

/** Returns why `path` is not a capture file, or undefined when it starts like pcap or pcapng. */
async function captureFormatProblem(path: string): Promise<string | undefined> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      if (bytesRead < 4) return `is ${bytesRead} bytes long, too short for a capture`;
    } finally {
      await handle.close();
    }
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (isPcapMagic(head) || isPcapngMagic(head)) return undefined;
  return `starts with 0x${head.toString('hex')}, which is neither pcap nor pcapng`;
}
