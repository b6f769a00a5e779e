import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { invalidFlowOptionsError } from '../errors/flow.ts';
import type { FlowMeterMode } from './flow-record.ts';

const TimeoutMs = (description: string, defaultMs: number) =>
  Type.Integer({ minimum: 1, maximum: 86_400_000, default: defaultMs, description });

/**
 * Options of one flow meter. Every key is optional; `resolveFlowMeterOptions` fills the defaults.
 * The gateway's configuration schema embeds this schema, so it rejects unknown keys.
 */
export const FlowMeterOptionsSchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('cic2017'), Type.Literal('corrected')], {
        default: 'corrected',
        description: "Feature semantics: 'cic2017' reproduces the CIC-IDS2017 CSVs, 'corrected' fixes their bugs.",
      }),
    ),
    idleTimeoutMs: Type.Optional(
      Type.Object(
        {
          tcp: Type.Optional(TimeoutMs('Idle time after which a TCP flow is exported (corrected mode).', 120_000)),
          tcpOnePacket: Type.Optional(
            TimeoutMs(
              'Idle time after which a TCP flow that has seen only its first packet, such as an unanswered SYN, is exported (corrected mode); the tcp value when absent.',
              120_000,
            ),
          ),
          udp: Type.Optional(TimeoutMs('Idle time after which a UDP flow is exported (corrected mode).', 120_000)),
          icmp: Type.Optional(
            TimeoutMs('Idle time after which an ICMP, ICMPv6 or other-protocol flow is exported (corrected mode).', 120_000),
          ),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    flowTimeoutMs: Type.Optional(
      TimeoutMs('A packet arriving more than this long after its flow started ends the flow and starts a continuation.', 120_000),
    ),
    activeTimeoutMs: Type.Optional(
      Type.Union([Type.Null(), TimeoutMs('Length after which a running flow is exported and continued in a new record (corrected mode).', 1_800_000)], {
        default: null,
        description: 'null turns the active timeout off.',
      }),
    ),
    tcpLingerMs: Type.Optional(
      TimeoutMs('Time a TCP flow closed by FINs or an RST waits for late packets before it is exported (corrected mode).', 5_000),
    ),
    maxFlows: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: 16_000_000,
        default: 500_000,
        description: 'Flow table capacity; when full, the least recently active flow is exported as evicted.',
      }),
    ),
    openFlowOnBareTcp: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Whether a TCP packet without SYN and without payload (a bare ACK, FIN or RST) may open a flow (corrected mode).',
      }),
    ),
    cic2017PaddingAsPayload: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Whether cic2017 mode counts Ethernet padding up to the 60-byte minimum frame as payload, as the CIC-IDS2017 files do.',
      }),
    ),
    cic2017FlagOrder: Type.Optional(
      Type.Union([Type.Literal('java8'), Type.Literal('java7'), Type.Literal('nominal')], {
        default: 'java8',
        description: 'Which first-packet flag each of the eight flag-count columns holds in cic2017 mode.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type FlowMeterOptions = Static<typeof FlowMeterOptionsSchema>;

export type Cic2017FlagOrder = 'java8' | 'java7' | 'nominal';

/** Options with every default applied; what the meter runs with. */
export interface ResolvedFlowMeterOptions {
  mode: FlowMeterMode;
  idleTimeoutMs: { tcp: number; tcpOnePacket: number; udp: number; icmp: number };
  flowTimeoutMs: number;
  activeTimeoutMs: number | null;
  tcpLingerMs: number;
  maxFlows: number;
  openFlowOnBareTcp: boolean;
  cic2017PaddingAsPayload: boolean;
  cic2017FlagOrder: Cic2017FlagOrder;
}

/** Validates options against the schema, applies defaults and returns a frozen copy. */
export function resolveFlowMeterOptions(options: FlowMeterOptions = {}): ResolvedFlowMeterOptions {
  if (!Value.Check(FlowMeterOptionsSchema, options)) {
    const problems = [...Value.Errors(FlowMeterOptionsSchema, options)].map(
      (error) => `${error.path || '/'} ${error.message} (got ${JSON.stringify(error.value)})`,
    );
    throw invalidFlowOptionsError(problems);
  }
  const idle = options.idleTimeoutMs ?? {};
  return Object.freeze({
    mode: options.mode ?? 'corrected',
    idleTimeoutMs: Object.freeze({
      tcp: idle.tcp ?? 120_000,
      tcpOnePacket: idle.tcpOnePacket ?? idle.tcp ?? 120_000,
      udp: idle.udp ?? 120_000,
      icmp: idle.icmp ?? 120_000,
    }),
    flowTimeoutMs: options.flowTimeoutMs ?? 120_000,
    activeTimeoutMs: options.activeTimeoutMs ?? null,
    tcpLingerMs: options.tcpLingerMs ?? 5_000,
    maxFlows: options.maxFlows ?? 500_000,
    openFlowOnBareTcp: options.openFlowOnBareTcp ?? false,
    cic2017PaddingAsPayload: options.cic2017PaddingAsPayload ?? true,
    cic2017FlagOrder: options.cic2017FlagOrder ?? 'java8',
  });
}
