/**
 * Encodes a cycle's MetricBatch as Prometheus remote-write 1.0 requests: one TimeSeries per
 * sample with labels sorted by name (`__name__`, the family's labels and the external labels,
 * empty values left out), one Sample at the cycle's timestamp; metadata (type and help per
 * family) on request. Requests hold at most `maxSamplesPerSend` series and are
 * snappy-compressed (block format, as the protocol requires).
 *
 * Wire layout written (field numbers of Prometheus's prompb WriteRequest):
 *
 * ```
 * WriteRequest  = { 1: TimeSeries }* { 3: MetricMetadata }*
 * TimeSeries    = { 1: Label }* 2: Sample
 * Label         = 1: name, 2: value
 * Sample        = 1: double value (fixed64), 2: int64 timestamp (varint)
 * MetricMetadata = 1: type (varint), 2: family name, 4: help
 * ```
 * @module
 */
import { utf8Length } from '../../encoding/index.js';
import { sortedSampleOrder, type FamilyView, type MetricBatch } from '../host/index.js';
import { ProtoWriter, fieldLen, uvarintLen } from './proto-writer.js';
import { compressSnappyBlock } from './snappy-block.js';

/** EncodedRequest is one compressed WriteRequest ready to send. */
export interface EncodedRequest {
  /** Snappy-compressed protobuf. */
  readonly body: Buffer;
  /** Number of samples in it. */
  readonly samples: number;
  /** Size before compression. */
  readonly rawBytes: number;
  /** Sample timestamp (the cycle's), Unix ms. */
  readonly t: number;
}

/** EncodeOptions shape the requests. */
export interface EncodeOptions {
  /** Labels added to every series that does not have them (sorted or not). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Series per request (default 2000, Prometheus's max_samples_per_send). */
  readonly maxSamplesPerSend?: number;
  /** Include MetricMetadata for every family in the first request. */
  readonly metadata?: boolean;
}

const TYPE: Readonly<Record<string, number>> = { counter: 1, gauge: 2, untyped: 0 };

/** Plan is a family's labels in wire order: -1 is __name__, j >= 0 family label j, -(k+2) external label k. */
interface Plan {
  readonly order: Int32Array;
  readonly names: readonly string[];
  readonly nameLens: Int32Array;
}

/** WriteRequestEncoder turns batches into requests, reusing its buffers between calls. */
export class WriteRequestEncoder {
  readonly #w = new ProtoWriter();
  readonly #ext: readonly (readonly [string, string])[];
  readonly #max: number;
  #lens = new Int32Array(16);

  constructor(opts: Pick<EncodeOptions, 'externalLabels' | 'maxSamplesPerSend'> = {}) {
    this.#ext = Object.entries(opts.externalLabels ?? {})
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#max = opts.maxSamplesPerSend ?? 2000;
    if (!(this.#max >= 1)) throw new Error('WriteRequestEncoder: maxSamplesPerSend must be at least 1');
  }

  /** encode writes every sample of the batch at time t (Unix ms) into one or more requests. */
  encode(batch: MetricBatch, t: number, withMetadata = false): EncodedRequest[] {
    const out: EncodedRequest[] = [];
    const w = this.#w;
    w.reset();
    let inRequest = 0;
    const flush = (): void => {
      if (w.length === 0) return;
      const raw = w.bytes();
      out.push({ body: compressSnappyBlock(raw), samples: inRequest, rawBytes: raw.length, t });
      w.reset();
      inRequest = 0;
    };
    const tsLen = uvarintLen(t);
    const sampleSize = 1 + 8 + 1 + tsLen;
    const families = batch.families();
    for (const f of families) {
      if (f.size === 0) continue;
      const plan = this.#plan(f);
      const width = plan.order.length;
      if (this.#lens.length < width) this.#lens = new Int32Array(width * 2);
      const lens = this.#lens;
      for (const i of sortedSampleOrder(f)) {
        let size = fieldLen(sampleSize);
        for (let p = 0; p < width; p++) {
          const v = this.#value(f, plan.order[p]!, i);
          const vl = v === '' ? -1 : utf8Length(v);
          lens[p] = vl;
          if (vl >= 0) size += fieldLen(fieldLen(plan.nameLens[p]!) + fieldLen(vl));
        }
        w.tag(1, 2);
        w.uvarint(size);
        for (let p = 0; p < width; p++) {
          const vl = lens[p]!;
          if (vl < 0) continue;
          const nl = plan.nameLens[p]!;
          w.tag(1, 2);
          w.uvarint(fieldLen(nl) + fieldLen(vl));
          w.tag(1, 2);
          w.string(plan.names[p]!, nl);
          w.tag(2, 2);
          w.string(this.#value(f, plan.order[p]!, i), vl);
        }
        w.tag(2, 2);
        w.uvarint(sampleSize);
        w.tag(1, 1);
        w.double(f.value(i));
        w.tag(2, 0);
        w.uvarint(t);
        if (++inRequest >= this.#max) {
          if (withMetadata && out.length === 0) this.#metadata(families);
          flush();
        }
      }
    }
    if (withMetadata && out.length === 0) this.#metadata(families);
    flush();
    return out;
  }

  #value(f: FamilyView, slot: number, i: number): string {
    if (slot === -1) return f.name;
    if (slot >= 0) return f.labelValue(i, slot);
    return this.#ext[-slot - 2]![1];
  }

  #metadata(families: readonly FamilyView[]): void {
    const w = this.#w;
    const seen = new Set<string>();
    for (const f of families) {
      if (f.size === 0 || seen.has(f.name)) continue;
      seen.add(f.name);
      const nl = utf8Length(f.name);
      const hl = utf8Length(f.help);
      const type = TYPE[f.type] ?? 0;
      const size = (type !== 0 ? 1 + uvarintLen(type) : 0) + fieldLen(nl) + (hl > 0 ? fieldLen(hl) : 0);
      w.tag(3, 2);
      w.uvarint(size);
      if (type !== 0) {
        w.tag(1, 0);
        w.uvarint(type);
      }
      w.tag(2, 2);
      w.string(f.name, nl);
      if (hl > 0) {
        w.tag(4, 2);
        w.string(f.help, hl);
      }
    }
  }

  /** Plans by family name, kept across cycles (families come back every cycle with the same labels). */
  readonly #plans = new Map<string, { readonly labelNames: readonly string[]; readonly plan: Plan }>();

  /** plan returns the family's plan, made once per family name and label names. */
  #plan(f: FamilyView): Plan {
    const got = this.#plans.get(f.name);
    if (got !== undefined && sameNames(got.labelNames, f.labelNames)) return got.plan;
    const plan = this.#makePlan(f);
    this.#plans.set(f.name, { labelNames: [...f.labelNames], plan });
    return plan;
  }

  /** makePlan merges __name__, the family's (sorted) labels and the external labels in byte order; family labels win over external ones. */
  #makePlan(f: FamilyView): Plan {
    const slots: { name: string; slot: number }[] = [{ name: '__name__', slot: -1 }];
    const own = new Set(f.labelNames);
    f.labelNames.forEach((name, j) => slots.push({ name, slot: j }));
    this.#ext.forEach(([name], k) => {
      if (!own.has(name) && name !== '__name__') slots.push({ name, slot: -(k + 2) });
    });
    slots.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { order: Int32Array.from(slots.map((s) => s.slot)), names: slots.map((s) => s.name), nameLens: Int32Array.from(slots.map((s) => utf8Length(s.name))) };
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
