import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TARGET_FORM } from './address.ts';

/**
 * TypeBox schemas of every request and response. Requests reject unknown fields; the messages
 * for a bad value come from each field's `description`, so it states the allowed form.
 */

/** Builds a string enum as one `enum` keyword, whose errors read better than an anyOf of literals. */
function StringEnum<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description: `${description}: one of ${values.join(', ')}` });
}

export const BLOCK_DURATION_BOUNDS = { minMs: 1_000, maxMs: 7 * 86_400_000 } as const;
export const GRACE_BOUNDS = { minMs: 0, maxMs: 86_400_000 } as const;
export const PAGE_LIMIT_MAX = 1_000;

const Origin = StringEnum(['auto', 'manual', 'kernel-ratelimit'] as const, 'who asked for the block');
const Label = StringEnum(['attack', 'benign'] as const, 'verdict label');

export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'FG_ERR_API_* or another area code' }),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'what is wrong, with the bad value and the allowed form' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody' },
);

const PageQuery = {
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'items to skip: an integer from 0 to 1000000' }),
  limit: Type.Integer({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: 100, description: `items per page: an integer from 1 to ${PAGE_LIMIT_MAX}` }),
};

function PageOf<T extends TSchema>(item: T, id: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ description: 'items matching the filters across all pages' }),
      offset: Type.Integer(),
      limit: Type.Integer(),
    },
    { $id: id },
  );
}

export const BlockEvidenceSchema = Type.Object({
  flowsSeen: Type.Integer(),
  attackFlows: Type.Integer(),
  attackRatio: Type.Number(),
  meanProbability: Type.Number(),
  threshold: Type.Number(),
  windowStartUs: Type.Number(),
  windowEndUs: Type.Number(),
  modelVersion: Type.String(),
  packets: Type.Optional(Type.Number()),
  bytes: Type.Optional(Type.Number()),
});

const blockRecordFields = {
  target: Type.String({ description: 'normalised address or CIDR prefix' }),
  durationMs: Type.Integer(),
  reason: Type.String(),
  origin: Origin,
  decisionId: Type.String(),
  evidence: Type.Optional(BlockEvidenceSchema),
  escalationLevel: Type.Optional(Type.Integer()),
  family: Type.Union([Type.Literal(4), Type.Literal(6)]),
  kind: Type.Union([Type.Literal('host'), Type.Literal('prefix')]),
  createdAtMs: Type.Number(),
  expiresAtMs: Type.Number(),
};

export const BlockRecordSchema = Type.Object(blockRecordFields, { $id: 'BlockRecord' });

export const BlockEntrySchema = Type.Object(
  {
    ...blockRecordFields,
    state: StringEnum(['active', 'expired'] as const, 'block state'),
    endedAtMs: Type.Optional(Type.Number()),
    endReason: Type.Optional(StringEnum(['timeout', 'unblocked'] as const, 'how the block ended')),
  },
  { $id: 'BlockEntry' },
);

export const BlockPageSchema = PageOf(Type.Ref('BlockEntry'), 'BlockPage');

export const BlockListQuerySchema = Type.Object(
  {
    family: Type.Optional(Type.Unsafe<4 | 6>({ type: 'integer', enum: [4, 6], description: 'address family: 4 or 6' })),
    origin: Type.Optional(Origin),
    state: Type.Optional(StringEnum(['active', 'expired'] as const, 'block state')),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type BlockListQueryInput = Static<typeof BlockListQuerySchema>;

export const AddressParamsSchema = Type.Object(
  { address: Type.String({ minLength: 1, maxLength: 64, description: TARGET_FORM + '; URL-encode the slash as %2F' }) },
  { additionalProperties: false },
);
export type AddressParams = Static<typeof AddressParamsSchema>;

export const AddBlockBodySchema = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 64, description: TARGET_FORM }),
    duration: Type.String({ minLength: 1, maxLength: 32, description: 'block length such as 90s, 10m, 1h30m or 7d, from 1s to 7d' }),
    reason: Type.String({ minLength: 1, maxLength: 200, description: 'why the block is added: 1 to 200 characters' }),
  },
  { additionalProperties: false },
);
export type AddBlockBody = Static<typeof AddBlockBodySchema>;

export const RemoveBlockQuerySchema = Type.Object(
  {
    grace: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'time during which the policy will not block the target again, such as 10m, up to 1d' }),
    ),
  },
  { additionalProperties: false },
);
export type RemoveBlockQuery = Static<typeof RemoveBlockQuerySchema>;

/** Identity and size of one flow, shared by verdicts and flow summaries. */
const flowFields = {
  flowRecordId: Type.Integer(),
  flowId: Type.String(),
  srcAddr: Type.String(),
  srcPort: Type.Integer(),
  dstAddr: Type.String(),
  dstPort: Type.Integer(),
  protocol: Type.Integer(),
  startUs: Type.Number(),
  endUs: Type.Number(),
  packets: Type.Number(),
  bytes: Type.Number(),
};

export const VerdictSchema = Type.Object(
  {
    ...flowFields,
    ipVersion: Type.Integer(),
    bwdBytes: Type.Number({ description: 'Transport payload bytes the responder sent.' }),
    handshakeSeen: Type.Boolean({ description: 'True for a TCP flow whose SYN, SYN-ACK and ACK were all seen.' }),
    probability: Type.Number(),
    label: Label,
    modelVersion: Type.String(),
    scoredAtMs: Type.Number(),
  },
  { $id: 'Verdict' },
);

export const VerdictPageSchema = PageOf(Type.Ref('Verdict'), 'VerdictPage');

export const VerdictListQuerySchema = Type.Object(
  {
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `source address or prefix: ${TARGET_FORM}` })),
    label: Type.Optional(Label),
    since: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'an RFC 3339 timestamp (2026-12-04T20:00:00Z) or a duration back from now (15m)' }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type VerdictListQueryInput = Static<typeof VerdictListQuerySchema>;

export const FlowSummarySchema = Type.Object({ ...flowFields, exportReason: Type.String() });

export const DecisionSchema = Type.Object(
  {
    decisionId: Type.String(),
    action: StringEnum(['block', 'unblock', 'expire', 'skip'] as const, 'decision'),
    target: Type.String(),
    origin: Origin,
    reason: Type.String(),
    atMs: Type.Number(),
    actor: Type.String(),
    durationMs: Type.Optional(Type.Integer()),
    expiresAtMs: Type.Optional(Type.Number()),
    escalationLevel: Type.Optional(Type.Integer()),
    evidence: Type.Optional(BlockEvidenceSchema),
    graceMs: Type.Optional(Type.Integer()),
  },
  { $id: 'Decision' },
);

export const DecisionPageSchema = PageOf(Type.Ref('Decision'), 'DecisionPage');

export const DecisionListQuerySchema = Type.Object(
  {
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `address or prefix the decision's target lies in: ${TARGET_FORM}` })),
    action: Type.Optional(StringEnum(['block', 'unblock', 'expire', 'skip'] as const, 'action')),
    since: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'an RFC 3339 timestamp (2026-12-04T20:00:00Z) or a duration back from now (15m)' }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type DecisionListQueryInput = Static<typeof DecisionListQuerySchema>;

export const SourceReportSchema = Type.Object(
  {
    address: Type.String(),
    escalationLevel: Type.Integer(),
    block: Type.Optional(Type.Ref('BlockEntry')),
    graceUntilMs: Type.Optional(Type.Number()),
    flows: Type.Array(FlowSummarySchema),
    verdicts: Type.Array(Type.Ref('Verdict')),
    decisions: Type.Array(Type.Ref('Decision')),
  },
  { $id: 'SourceReport' },
);

export const SourceParamsSchema = Type.Object(
  { address: Type.String({ minLength: 1, maxLength: 64, description: 'an IPv4 address in dotted-quad form or an IPv6 address' }) },
  { additionalProperties: false },
);

export const GatewayStatsSchema = Type.Object(
  {
    startedAtMs: Type.Number(),
    uptimeMs: Type.Number(),
    packets: Type.Number(),
    bytes: Type.Number(),
    flows: Type.Number(),
    verdicts: Type.Object({ attack: Type.Number(), benign: Type.Number() }),
    activeBlocks: Type.Integer(),
    dropsBySet: Type.Record(Type.String(), Type.Object({ packets: Type.Number(), bytes: Type.Number() })),
    captureDrops: Type.Number(),
    queueDepths: Type.Record(Type.String(), Type.Number()),
    evictions: Type.Record(Type.String(), Type.Number()),
  },
  { $id: 'GatewayStats' },
);

export const HealthReportSchema = Type.Object(
  {
    status: StringEnum(['ok', 'degraded'] as const, 'health'),
    reasons: Type.Array(Type.String()),
  },
  { $id: 'HealthReport' },
);

export const EmptyQuerySchema = Type.Object({}, { additionalProperties: false });

/** Schemas registered once with `addSchema` so routes and the OpenAPI document refer to them. */
export const SHARED_SCHEMAS = [ErrorBodySchema, BlockRecordSchema, BlockEntrySchema, VerdictSchema, DecisionSchema];

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorBody')]));
