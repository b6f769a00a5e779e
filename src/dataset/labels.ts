import ipaddr from 'ipaddr.js';
import { labError } from '../errors/lab.ts';

/** Format tag of a labels file; readers reject any other. */
export const LABELS_FORMAT = 'flowguard-lab-labels/1';

/** Label of traffic that is not an attack, as CIC-IDS2017 spells it. */
export const BENIGN_LABEL = 'BENIGN';

/**
 * One labelled span: traffic from `source` (an address, or a CIDR block for forged sources)
 * whose flow starts inside [startUs, endUs] gets `label`.
 */
export interface LabelSpan {
  source: string;
  startUs: number;
  endUs: number;
  label: string;
  /** Lab host name (`c1`, `a1`, …) or `spoofed`. */
  host: string;
  /** Producer of the traffic: the benign agent or the attack tool. */
  tool: string;
  parameters?: Record<string, unknown>;
}

export interface LabelsFile {
  format: typeof LABELS_FORMAT;
  scenario: string;
  seed: number;
  mode: string;
  captureStartUs: number;
  captureEndUs: number;
  /** Addresses of the attacked server; flows oriented from it are labelled by their destination. */
  targetAddresses: string[];
  spans: LabelSpan[];
}

/** Parses and checks a labels file's JSON text. */
export function parseLabels(text: string, path: string): LabelsFile {
  let parsed: LabelsFile;
  try {
    parsed = JSON.parse(text) as LabelsFile;
  } catch (err) {
    throw labError('FG_ERR_LAB_LABELS_INVALID', `labels file ${path} is not valid JSON (${(err as Error).message}); pass the labels.json a lab run wrote.`, { path }, err);
  }
  if (parsed?.format !== LABELS_FORMAT || !Array.isArray(parsed.spans) || !Array.isArray(parsed.targetAddresses)) {
    throw labError('FG_ERR_LAB_LABELS_INVALID', `labels file ${path} has format '${String(parsed?.format)}'; expected '${LABELS_FORMAT}' with spans and targetAddresses arrays.`, { path });
  }
  for (const [index, span] of parsed.spans.entries()) {
    const sourceOk = typeof span.source === 'string' && (ipaddr.isValid(span.source) || isCidr(span.source));
    if (!sourceOk || !Number.isFinite(span.startUs) || !Number.isFinite(span.endUs) || typeof span.label !== 'string') {
      throw labError('FG_ERR_LAB_LABELS_INVALID', `labels file ${path}: span ${index} (${JSON.stringify(span).slice(0, 200)}) needs an address or CIDR source, numeric startUs/endUs and a label.`, { path, index });
    }
  }
  return parsed;
}

function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

interface CompiledSpan {
  span: LabelSpan;
  kind: 'ipv4' | 'ipv6';
  network: ipaddr.IPv4 | ipaddr.IPv6;
  prefixBits: number;
}

/** Reason a flow got no label. */
export type UnlabelledReason = 'no-span';

export type LabelDecision = { label: string; span: LabelSpan; by: 'source' | 'destination' } | { label: undefined; reason: UnlabelledReason };

/**
 * Assigns labels to flows from a labels file.
 *
 * A flow gets the label of the span that covers its source address and its start time. When
 * several do, the most specific prefix wins (a host's own /32 or /128 before a spoofed-source
 * block), then the latest start. A flow whose source is the target is labelled by its
 * destination instead. The meter orients a flow from the server when the capture missed the
 * client's first packet, and CIC-IDS2017 also labelled by the attacker–victim pair.
 */
export class Labeller {
  readonly labels: LabelsFile;
  readonly #spans: CompiledSpan[];
  readonly #targets: Set<string>;

  constructor(labels: LabelsFile) {
    this.labels = labels;
    this.#targets = new Set(labels.targetAddresses.map(normalise));
    this.#spans = labels.spans.map((span) => {
      const [network, prefixBits] = span.source.includes('/') ? ipaddr.parseCIDR(span.source) : [ipaddr.parse(span.source), ipaddr.parse(span.source).kind() === 'ipv4' ? 32 : 128];
      return { span, kind: network.kind(), network, prefixBits };
    });
  }

  decide(srcAddr: string, dstAddr: string, startUs: number): LabelDecision {
    const fromTarget = this.#targets.has(normalise(srcAddr));
    const address = fromTarget ? dstAddr : srcAddr;
    const span = this.#find(address, startUs);
    if (!span) return { label: undefined, reason: 'no-span' };
    return { label: span.label, span, by: fromTarget ? 'destination' : 'source' };
  }

  #find(address: string, startUs: number): LabelSpan | undefined {
    if (!ipaddr.isValid(address)) return undefined;
    const parsed = ipaddr.process(address);
    let best: CompiledSpan | undefined;
    for (const candidate of this.#spans) {
      if (candidate.kind !== parsed.kind() || startUs < candidate.span.startUs || startUs > candidate.span.endUs) continue;
      if (!parsed.match(candidate.network, candidate.prefixBits)) continue;
      if (!best || candidate.prefixBits > best.prefixBits || (candidate.prefixBits === best.prefixBits && candidate.span.startUs > best.span.startUs)) best = candidate;
    }
    return best?.span;
  }
}

function normalise(address: string): string {
  return ipaddr.isValid(address) ? ipaddr.process(address).toNormalizedString() : address;
}
