import { parseArgs } from 'node:util';
import { ModelError } from '../errors/model.ts';
import { replayCapture, type ReplayResult } from '../infer/replay.ts';
import { loadConfigFile, resolveConfig, resolveInstallPath } from '../gateway/config.ts';

export const summary = 'Replay a capture file through flows, model and policy (dry-run) and print per-source decisions';

const HELP = `Usage: flowguard replay FILE [--config F] [--model M] [--json]

Runs a pcap or pcapng file through the flow meter, the model and the per-source policy at full
speed. Nothing is blocked: every decision is recorded as it would have been made. Times are
capture times, so "after" is the delay from a source's first packet to its first decision.

Options:
      --config F   gateway config (YAML), validated as by 'flowguard check-config'; its flows,
                   scorer, policy and allowlist keys apply
      --model M    ONNX model (its card beside it); default: scorer.modelPath of the config,
                   models/flowguard-default.onnx in the install directory without one
      --json       print one JSON document (format in docs/policy.md) instead of a table
  -h, --help       show this help
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        model: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw argumentError((err as Error).message.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw argumentError(`expected one capture file, got ${positionals.length} (${positionals.join(' ') || 'none'})`);

  // The gateway's own config file and validator: every key means what it means for `flowguard run`.
  const config = values.config === undefined ? resolveConfig({}, 'defaults') : await loadConfigFile(values.config);
  const modelPath = values.model ?? resolveInstallPath(config.scorer.modelPath);
  const result = await replayCapture(positionals[0], {
    scorer: { ...structuredClone(config.scorer), modelPath },
    policy: { ...structuredClone(config.policy), allowlist: [...config.allowlist] },
    // Without a config, the flow meter follows the model card's mode.
    ...(values.config === undefined ? {} : { flows: structuredClone(config.flows) }),
  });
  for (const warning of result.warnings) process.stderr.write(`flowguard replay: warning: ${warning}\n`);
  process.stdout.write(values.json ? JSON.stringify(result) + '\n' : formatTable(result));
  return 0;
}

function formatTable(result: ReplayResult): string {
  const lines = [`${result.file}: model ${result.modelVersion}, flow meter ${result.flowMeterMode} (dry-run)`, ''];
  lines.push(`${'source'.padEnd(28)} ${'flows'.padStart(7)} ${'attack'.padStart(7)} ${'ratio'.padStart(6)}  ${'decision'.padEnd(9)} ${'after'.padStart(10)}  reason`);
  for (const source of result.sources) {
    const after = source.decisionAfterMs === null ? '-' : `${(source.decisionAfterMs / 1000).toFixed(3)} s`;
    lines.push(
      `${source.address.padEnd(28)} ${String(source.flows).padStart(7)} ${String(source.attackFlows).padStart(7)} ${source.attackRatio.toFixed(2).padStart(6)}  ${source.decision.padEnd(9)} ${after.padStart(10)}  ${source.decision === 'none' ? '' : `${source.rule} (${source.reason})`}`,
    );
  }
  for (const event of result.events) lines.push(`event: ${JSON.stringify(event)}`);
  const t = result.totals;
  lines.push(
    '',
    `${t.packets} packets, ${t.flows} flows, ${t.verdicts} verdicts (${t.attackFlows} attack), ${t.sources} sources: ` +
      `${t.blockedSources} blocked, ${t.refusedSources} refused; ${t.nonFiniteWindows} non-finite and ${t.droppedWindows} dropped windows; ` +
      `${t.spoofedFloodEvents} spoofed-flood events; capture ${(t.captureSpanMs / 1000).toFixed(1)} s replayed in ${(t.wallTimeMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n') + '\n';
}

function argumentError(problem: string): ModelError {
  return new ModelError('REPLAY_ARGUMENT', `${problem}. Run 'flowguard replay --help' for the options.`);
}
