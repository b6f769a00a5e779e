import { existsSync } from 'node:fs';
import type { ConfigProblem } from '../errors/config.ts';
import { loadModelCard } from '../infer/model-card.ts';
import { resolveInstallPath, type GatewayConfig } from './config.ts';

/**
 * Checks what a valid config refers to on this host: the model file and its card (mode and
 * window must fit the flow meter) and the capture interfaces. `flowguard check-config` runs it,
 * so systemd's ExecStartPre stops a config that would fail at start.
 */
export async function checkDeployment(config: Readonly<GatewayConfig>, options: { interfaces: boolean }): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  const modelPath = resolveInstallPath(config.scorer.modelPath);
  if (!existsSync(modelPath)) {
    problems.push({ path: 'scorer.modelPath', message: `model file '${modelPath}' not found; relative paths resolve against the install directory` });
  } else {
    try {
      await loadModelCard(modelPath, { flowMeterMode: config.flows.mode ?? 'corrected', windowLength: config.scorer.windowLength }, config.scorer.cardPath);
    } catch (err) {
      problems.push({ path: 'scorer.modelPath', message: (err as Error).message });
    }
  }
  if (options.interfaces) {
    config.capture.interfaces.forEach((name, index) => {
      if (!existsSync(`/sys/class/net/${name}`)) {
        problems.push({ path: `capture.interfaces[${index}]`, message: `interface '${name}' does not exist on this host; 'ip link' lists the interfaces` });
      }
    });
  }
  return problems;
}
