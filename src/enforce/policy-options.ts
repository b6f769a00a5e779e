import { Type, type Static } from '@sinclair/typebox';

/**
 * Options of the per-source policy; the gateway config embeds this schema under its policy key.
 * Times are in milliseconds of flow time (the verdicts' end times), so a replayed capture
 * decides exactly as the live gateway would have.
 */
export const PolicyOptionsSchema = Type.Object(
  {
    dryRun: Type.Boolean({ default: false, description: 'Record decisions as would-block and block nothing.' }),
    window: Type.Object(
      {
        maxFlows: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Newest verdicts per source the rules look at.' }),
        durationMs: Type.Integer({ minimum: 1000, default: 60_000, description: 'Verdicts older than this, relative to the newest, leave the window.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    minFlows: Type.Integer({ minimum: 1, default: 10, description: 'Verdicts a source needs in its window before the ratio rule applies.' }),
    attackRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8, description: 'Share of attack verdicts (or attack packets) that blocks.' }),
    minMeanProbability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Mean attack probability the window must also reach.' })),
    volume: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Also block on attack packets, for floods that make few flows.' }),
        minAttackPackets: Type.Integer({ minimum: 1, default: 1000, description: 'Packets in attack-labelled flows that block when their share reaches attackRatio.' }),
        minMeanProbability: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1,
            description: "Mean probability those attack verdicts must also reach; unset trusts the model card's threshold.",
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    ipv6PrefixLength: Type.Integer({ minimum: 1, maximum: 128, default: 64, description: 'IPv6 sources are judged and blocked per prefix of this length.' }),
    maxSources: Type.Integer({
      minimum: 1,
      default: 100_000,
      description: 'Source windows kept (LRU); the least recently seen is forgotten. 56 bytes per verdict held, at most window.maxFlows each.',
    }),
    block: Type.Object(
      {
        durationMs: Type.Integer({ minimum: 1000, default: 600_000, description: 'Block duration of a first offence.' }),
        maxDurationMs: Type.Integer({ minimum: 1000, default: 7 * 24 * 3600_000, description: 'Cap on any escalated duration.' }),
        multipliers: Type.Array(Type.Number({ minimum: 1 }), {
          minItems: 1,
          default: [1, 4, 16, 64],
          description: 'Duration multiplier per offence; the last applies to every later offence.',
        }),
        jitterRatio: Type.Number({ minimum: 0, maximum: 0.5, default: 0.1, description: 'Random ± share added to each duration so blocks do not expire together.' }),
        decayAfterMs: Type.Integer({ minimum: 1000, default: 24 * 3600_000, description: 'Each quiet period this long lowers the escalation level by one.' }),
        maxHistory: Type.Integer({ minimum: 1, default: 100_000, description: 'Offenders whose escalation level is remembered (LRU).' }),
      },
      { additionalProperties: false, default: {} },
    ),
    allowlist: Type.Array(Type.String(), { default: [], description: 'Addresses and CIDRs never blocked.' }),
    ownAddresses: Type.Array(Type.String(), { default: [], description: "The gateway's own addresses and networks, never blocked." }),
    guards: Type.Object(
      {
        maxActiveBlocks: Type.Integer({ minimum: 1, default: 10_000, description: 'Blocks in force at once.' }),
        maxNewBlocksPerMinute: Type.Integer({ minimum: 1, default: 120, description: 'New blocks within any 60 s.' }),
        maxBlocksPerPrefix: Type.Integer({ minimum: 1, default: 64, description: 'Blocks in force inside one IPv4 /24 or IPv6 /48.' }),
        ipv4PrefixLength: Type.Integer({ minimum: 8, maximum: 32, default: 24 }),
        ipv6PrefixLength: Type.Integer({ minimum: 16, maximum: 128, default: 48 }),
        onTrip: Type.Union([Type.Literal('dry-run'), Type.Literal('refuse')], {
          default: 'dry-run',
          description: "'dry-run': switch to dry-run until resetGuards(); 'refuse': only the excess decision is not enforced.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    spoofing: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        windowMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Period over which single-flow attack sources are counted.' }),
        minSources: Type.Integer({ minimum: 2, default: 100, description: 'Single-flow attack sources within windowMs that raise the event.' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type PolicyOptions = Static<typeof PolicyOptionsSchema>;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Options as a caller writes them: every key has a default. */
export type PolicyOptionsInput = DeepPartial<PolicyOptions>;
