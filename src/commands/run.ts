import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { loadConfigFile } from '../gateway/config.ts';
import { Gateway } from '../gateway/gateway.ts';
import { runUntilSignal } from '../gateway/run-until-signal.ts';

export const summary = 'Run the gateway: live capture, scoring, policy, nftables blocks and the API';

const HELP = `Usage: flowguard run --config FILE [--print-config] [--replay PCAP [--pace recorded|full]]

Starts the gateway with the config FILE (see config/flowguard.example.yaml). Needs root or
CAP_NET_RAW + CAP_NET_ADMIN. SIGTERM or SIGINT stop it gracefully; SIGHUP reloads the config
and the model without dropping blocks.

Options:
      --config FILE     gateway config (YAML), required
      --print-config    print the effective config as JSON and exit
      --replay PCAP     read packets from a capture file instead of the configured interfaces,
                        and stop when it ends
      --pace MODE       with --replay: 'recorded' (default) keeps the capture's timing, 'full' does not
  -h, --help            show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'print-config': { type: 'boolean' },
      replay: { type: 'string' },
      pace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.config === undefined) {
    process.stderr.write(`flowguard run: --config FILE is required\n${HELP}`);
    return 2;
  }
  if (values.pace !== undefined && values.pace !== 'recorded' && values.pace !== 'full') {
    process.stderr.write(`flowguard run: --pace must be 'recorded' or 'full', got '${values.pace}'\n`);
    return 2;
  }
  if (values.pace !== undefined && values.replay === undefined) {
    process.stderr.write('flowguard run: --pace applies only with --replay PCAP\n');
    return 2;
  }
  if (values.replay !== undefined && !existsSync(values.replay)) {
    process.stderr.write(`flowguard run: capture file '${values.replay}' not found\n`);
    return 2;
  }
  const configFile = values.config;
  const config = await loadConfigFile(configFile);
  if (values['print-config']) {
    process.stdout.write(JSON.stringify(config, null, 2) + '\n');
    return 0;
  }
  const logger = createLogger({ level: config.logging.level, ...(config.logging.file ? { destination: config.logging.file } : {}) });
  // A replay ends the run when the file is done; a live capture runs until a signal.
  const stopAfterReplay = () => process.kill(process.pid, 'SIGTERM');
  const gateway = new Gateway({
    config,
    logger,
    source: values.replay
      ? { kind: 'replay', file: values.replay, pace: (values.pace ?? 'recorded') as 'recorded' | 'full', loop: false, onPassEnd: stopAfterReplay }
      : { kind: 'live' },
  });
  let sourceFailed = false;
  for (const source of gateway.sources) {
    source.on('error', () => {
      sourceFailed = true;
      if (values.replay) stopAfterReplay();
    });
  }
  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'gateway failed to start');
    await gateway.stop().catch(() => undefined);
    throw err;
  }
  const code = await runUntilSignal(gateway, logger, () => loadConfigFile(configFile));
  return sourceFailed ? 1 : code;
}
