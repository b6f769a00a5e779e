import { Type, type Static } from '@sinclair/typebox';
import { FlowMeterOptionsSchema } from '../flows/options.ts';
import { ScorerOptionsSchema } from '../infer/scorer-options.ts';
import { PolicyOptionsSchema } from '../enforce/policy-options.ts';
import { EnforceOptionsSchema } from '../enforce/options.ts';
import { ApiOptionsSchema } from '../api/options.ts';

/** Model shipped with flowguard, relative to the installation directory. */
export const DEFAULT_MODEL_PATH = 'models/flowguard-default.onnx';

const CaptureSchema = Type.Object(
  {
    interfaces: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,15}$', description: 'an interface name such as eth0' }), {
      minItems: 1,
      maxItems: 16,
      default: ['eth0'],
      description: 'Interfaces captured with libpcap; in router mode the outside (untrusted) side.',
    }),
    bpfFilter: Type.String({ default: '', description: 'BPF filter applied in the kernel, tcpdump syntax; empty captures everything.' }),
    bufferSizeBytes: Type.Integer({
      minimum: 1 << 20,
      maximum: 1 << 30,
      default: 64 << 20,
      description: 'libpcap buffer per interface; a larger buffer rides out longer bursts.',
    }),
  },
  { additionalProperties: false, default: {} },
);

const LoggingSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info', description: 'pino log level; per-flow detail is logged at debug.' },
    ),
    file: Type.Optional(Type.String({ minLength: 1, description: 'Append JSON log lines to this file; standard error when absent.' })),
    summaryIntervalMs: Type.Integer({
      minimum: 1_000,
      maximum: 3_600_000,
      default: 60_000,
      description: 'Interval of the info-level counters summary.',
    }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The one schema of `flowguard run --config FILE`. Sections embed each area's own options schema.
 * Keys shared between areas (mode, allowlist, dry-run, state directory) live once at the top, and
 * the gateway hands them to every area that needs them.
 */
export const GatewayConfigSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('router'), Type.Literal('bridge')], {
      default: 'router',
      description: 'router: the gateway routes between its interfaces; bridge: it bridges them.',
    }),
    capture: CaptureSchema,
    flows: Type.Omit(FlowMeterOptionsSchema, [], { default: {} }),
    scorer: Type.Object(
      {
        ...Type.Omit(ScorerOptionsSchema, ['modelPath']).properties,
        modelPath: Type.String({ minLength: 1, default: DEFAULT_MODEL_PATH, description: 'ONNX model file; its card is the JSON file beside it.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    policy: Type.Omit(PolicyOptionsSchema, ['dryRun', 'allowlist'], { default: {} }),
    enforcement: Type.Omit(EnforceOptionsSchema, ['mode', 'dryRun', 'stateDir', 'allowlist'], { default: {} }),
    allowlist: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 4_096,
      description: 'Addresses and CIDRs never blocked: the policy rejects decisions against them and the kernel accepts their packets before any drop.',
    }),
    dryRun: Type.Boolean({ default: false, description: 'Decide and record, but never add a kernel rule.' }),
    stateDirectory: Type.String({ minLength: 1, default: '/var/lib/flowguard', description: 'Block store, policy history and other state kept across restarts.' }),
    api: Type.Omit(ApiOptionsSchema, [], { default: {} }),
    logging: LoggingSchema,
  },
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof GatewayConfigSchema>;
