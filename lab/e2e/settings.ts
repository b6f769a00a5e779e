import { FLOW_PRESET_NAMES, type FlowPreset } from './gateway-config.ts';

export interface E2eSettings {
  attackDurationS: number;
  flowPreset: FlowPreset;
  scenarios?: string[];
  restartScenario: string;
  rssLimitBytes: number;
}

/**
 * Run settings from the environment: FLOWGUARD_E2E_DURATION_S (seconds per attack, default
 * `defaultDurationS`), FLOWGUARD_E2E_FLOWS (`fast`, `fast-tcp` or `dataset`), FLOWGUARD_E2E_SCENARIOS
 * (comma-separated subset), FLOWGUARD_E2E_RESTART_SCENARIO and FLOWGUARD_E2E_RSS_LIMIT_MB.
 */
export function e2eSettings(env: NodeJS.ProcessEnv, defaultDurationS: number): E2eSettings {
  const durationS = Number(env.FLOWGUARD_E2E_DURATION_S ?? defaultDurationS);
  if (!Number.isInteger(durationS) || durationS < 5 || durationS > 600) {
    throw new Error(`FLOWGUARD_E2E_DURATION_S '${env.FLOWGUARD_E2E_DURATION_S}' is invalid; use whole seconds from 5 to 600`);
  }
  const flows = (env.FLOWGUARD_E2E_FLOWS ?? 'fast') as FlowPreset;
  if (!FLOW_PRESET_NAMES.includes(flows)) throw new Error(`FLOWGUARD_E2E_FLOWS '${flows}' is invalid; use one of ${FLOW_PRESET_NAMES.join(', ')}`);
  const rssLimitMb = Number(env.FLOWGUARD_E2E_RSS_LIMIT_MB ?? 1_024);
  if (!Number.isFinite(rssLimitMb) || rssLimitMb <= 0) throw new Error(`FLOWGUARD_E2E_RSS_LIMIT_MB '${env.FLOWGUARD_E2E_RSS_LIMIT_MB}' is invalid; use a positive number of MiB`);
  return {
    attackDurationS: durationS,
    flowPreset: flows,
    ...(env.FLOWGUARD_E2E_SCENARIOS ? { scenarios: env.FLOWGUARD_E2E_SCENARIOS.split(',').map((name) => name.trim()) } : {}),
    restartScenario: env.FLOWGUARD_E2E_RESTART_SCENARIO ?? 'hulk',
    rssLimitBytes: rssLimitMb * 1_048_576,
  };
}
