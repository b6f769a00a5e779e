import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { enforceError } from '../errors/enforce.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const SynTrapOptionsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Adds the in-kernel per-source SYN-rate trap to the drop chain.' }),
    ratePerSecond: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200, description: 'SYNs per second from one source above which the source is trapped.' }),
    burstPackets: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100, description: 'Burst allowed above the rate before the trap fires.' }),
    timeoutMs: Type.Integer({ minimum: 1_000, maximum: DAY_MS, default: 60_000, description: 'How long a trapped source stays dropped after its last trapped SYN.' }),
    setSize: Type.Integer({ minimum: 16, maximum: 1_048_576, default: 65_536, description: 'Size of the trap and meter sets; sources beyond it are not tracked.' }),
  },
  { additionalProperties: false, default: {} },
);

/** Options of the enforcement backend, embeddable in the gateway configuration. */
export const EnforceOptionsSchema = Type.Object(
  {
    tableName: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$', default: 'flowguard', description: 'Name of our own nftables table; nothing else is ever touched.' }),
    mode: Type.Union([Type.Literal('router'), Type.Literal('bridge')], {
      default: 'router',
      description: 'router: `inet` table on prerouting at priority raw; bridge: `bridge` table on the bridge prerouting hook.',
    }),
    setSize: Type.Integer({ minimum: 16, maximum: 4_194_304, default: 262_144, description: 'Size of each block set in the kernel.' }),
    maxElementsPerSet: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Cap of active blocks per set, below setSize; 90 % of setSize when absent. Requests beyond it are rejected.' }),
    ),
    maxTimeoutMs: Type.Integer({ minimum: 1_000, maximum: 365 * DAY_MS, default: 7 * DAY_MS, description: 'Upper bound of every block duration; longer requests are shortened to it.' }),
    tickMs: Type.Integer({ minimum: 10, maximum: 1_000, default: 200, description: 'Interval between two batches of the writer queue.' }),
    reconcileIntervalMs: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 20_000, description: 'Interval between two comparisons of the store with the kernel.' }),
    driftToleranceMs: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 5_000, description: 'Kernel expiry differing from the store by more than this is refreshed.' }),
    stateDir: Type.String({ minLength: 1, default: '/var/lib/flowguard', description: 'Directory of the block store.' }),
    dryRun: Type.Boolean({ default: false, description: 'Keeps the table in memory and runs no nft command.' }),
    removeOnStop: Type.Boolean({ default: false, description: 'Deletes the table on stop; by default blocks stay and expire by their kernel timeouts.' }),
    allowlist: Type.Array(Type.String(), {
      maxItems: 4_096,
      default: [],
      description: 'Addresses and prefixes never dropped (checked first); loopback is always included.',
    }),
    minPrefixLength4: Type.Integer({ minimum: 0, maximum: 32, default: 8, description: 'Shortest IPv4 prefix a block may cover.' }),
    minPrefixLength6: Type.Integer({ minimum: 0, maximum: 128, default: 16, description: 'Shortest IPv6 prefix a block may cover.' }),
    maxPendingChanges: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 200_000, description: 'Bound of the writer queue; requests beyond it are rejected.' }),
    retryInitialMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 500, description: 'First back-off after a transient batch failure; doubles up to retryMaxMs.' }),
    retryMaxMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 30_000, description: 'Maximum back-off between two retries of a failing batch.' }),
    monitor: Type.Boolean({ default: true, description: 'Runs `nft -j monitor` and reconciles when another process changes our table.' }),
    nftPath: Type.String({ minLength: 1, default: 'nft', description: 'Path of the nft executable.' }),
    netns: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Runs nft inside this network namespace (`ip netns exec`); the host namespace when absent.' })),
    commandTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'Timeout of one nft process.' }),
    journalCompactEntries: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 20_000, description: 'Journal lines after which the store writes a fresh snapshot.' }),
    synTrap: SynTrapOptionsSchema,
  },
  { additionalProperties: false },
);

export type EnforceOptions = Static<typeof EnforceOptionsSchema>;
export type EnforceOptionsInput = Partial<Omit<EnforceOptions, 'synTrap'>> & { synTrap?: Partial<EnforceOptions['synTrap']> };
export interface ResolvedEnforceOptions extends EnforceOptions {
  maxElementsPerSet: number;
}

/**
 * Applies defaults, validates against `EnforceOptionsSchema` and checks the cross-field rules;
 * every problem is reported in one INVALID_OPTIONS error. The result is frozen.
 */
export function resolveEnforceOptions(input: EnforceOptionsInput = {}): Readonly<ResolvedEnforceOptions> {
  const candidate = Value.Default(EnforceOptionsSchema, structuredClone(input)) as EnforceOptions;
  const problems = [...Value.Errors(EnforceOptionsSchema, candidate)].map((error) => `${error.path || '/'}: ${error.message} (got ${JSON.stringify(error.value)})`);
  const cap = candidate.maxElementsPerSet ?? Math.floor(candidate.setSize * 0.9);
  if (problems.length === 0 && cap >= candidate.setSize) {
    problems.push(`/maxElementsPerSet: must stay below setSize ${candidate.setSize} so the kernel set never fills (got ${cap})`);
  }
  if (problems.length === 0 && candidate.retryInitialMs > candidate.retryMaxMs) {
    problems.push(`/retryInitialMs: must not exceed retryMaxMs ${candidate.retryMaxMs} (got ${candidate.retryInitialMs})`);
  }
  if (problems.length > 0) {
    throw enforceError('INVALID_OPTIONS', `Invalid enforcement options: ${problems.join('; ')}. Fix these keys in the configuration.`, { problems });
  }
  return Object.freeze({ ...candidate, allowlist: Object.freeze([...candidate.allowlist]) as string[], synTrap: Object.freeze({ ...candidate.synTrap }), maxElementsPerSet: cap });
}
