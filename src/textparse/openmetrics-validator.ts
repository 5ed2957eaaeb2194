/**
 * Strict OpenMetrics 1.0 validation: the semantic rules of the specification that a scraper
 * (and Prometheus's parser) does not enforce — metric families not interleaved, metadata before
 * samples and at most once, sample names matching the family's type, counter and histogram
 * values, bucket order and cumulativity, `_count` agreeing with the `+Inf` bucket, increasing
 * MetricPoint timestamps, exemplars only where allowed and within 128 code points.
 * @module
 */
import type { Labels } from '../model/index.js';
import { EntryKind, MetricType } from './entry.js';
import { ParseError } from './errors.js';
import { scanFloat } from './float-scan.js';
import { OpenMetricsParser } from './openmetrics-parser.js';

const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  [MetricType.Counter]: ['_total', '_created'],
  [MetricType.Gauge]: [''],
  [MetricType.Histogram]: ['_bucket', '_sum', '_count', '_created'],
  [MetricType.GaugeHistogram]: ['_bucket', '_gsum', '_gcount'],
  [MetricType.Summary]: ['', '_sum', '_count', '_created'],
  [MetricType.Info]: ['_info'],
  [MetricType.Stateset]: [''],
  [MetricType.Unknown]: [''],
};
const ALL_SUFFIXES = ['_total', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info'];
const EXEMPLAR_MAX_RUNES = 128;

interface Point {
  readonly offset: number;
  ts: number | undefined;
  samples: Set<string>;
  lastLe: number;
  lastBucket: number;
  infBucket: number | undefined;
  negativeBucket: boolean;
  count: number | undefined;
  sum: number | undefined;
}

interface Family {
  readonly name: string;
  type: MetricType;
  unit: string;
  readonly seen: Set<'TYPE' | 'HELP' | 'UNIT'>;
  hasSamples: boolean;
  curKey: string | undefined;
  point: Point | undefined;
  readonly done: Set<string>;
}

const numOut = new Float64Array(1);

/**
 * validateOpenMetrics parses a whole OpenMetrics body and checks it against the specification's
 * rules. Throws ParseError (with the line) at the first violation, syntactic or semantic.
 */
export function validateOpenMetrics(body: Buffer): void {
  new Validator(body).run();
}

class Validator {
  readonly #p: OpenMetricsParser;
  readonly #buf: Buffer;
  readonly #families = new Map<string, Family>();
  #cur: Family | undefined;
  #entry = 0;

  constructor(body: Buffer) {
    this.#buf = body;
    this.#p = new OpenMetricsParser(body);
  }

  run(): void {
    const p = this.#p;
    for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
      this.#entry = p.entryOffset();
      if (k === EntryKind.Series) this.#sample();
      else this.#metadata(k);
    }
    if (this.#cur !== undefined) this.#closeFamily(this.#cur);
  }

  #fail(detail: string): never {
    throw new ParseError(this.#entry, detail, this.#buf);
  }

  #metadata(k: EntryKind): void {
    const p = this.#p;
    const name = p.family();
    let f = this.#cur;
    if (f === undefined || f.name !== name) {
      if (this.#families.has(name)) this.#fail(`metric family "${name}" appears twice (families must not be interleaved)`);
      f = this.#open(name);
    }
    if (f.hasSamples) this.#fail(`metadata for "${name}" after its samples`);
    const what = k === EntryKind.Type ? 'TYPE' : k === EntryKind.Help ? 'HELP' : 'UNIT';
    if (f.seen.has(what)) this.#fail(`repeated ${what} for "${name}"`);
    f.seen.add(what);
    if (k === EntryKind.Type) f.type = p.type();
    if (k === EntryKind.Unit) f.unit = p.unit();
    if (f.unit !== '' && (f.type === MetricType.Stateset || f.type === MetricType.Info)) {
      this.#fail(`a ${f.type} must not have a unit`);
    }
  }

  #open(name: string): Family {
    if (this.#cur !== undefined) this.#closeFamily(this.#cur);
    const f: Family = {
      name,
      type: MetricType.Unknown,
      unit: '',
      seen: new Set(),
      hasSamples: false,
      curKey: undefined,
      point: undefined,
      done: new Set(),
    };
    this.#families.set(name, f);
    this.#cur = f;
    return f;
  }

  #familyOf(name: string): Family {
    const cur = this.#cur;
    if (cur !== undefined && belongs(cur, name)) return cur;
    if (this.#families.has(name)) this.#fail(`metric family "${name}" appears twice (families must not be interleaved)`);
    for (const s of ALL_SUFFIXES) {
      if (!name.endsWith(s)) continue;
      const f = this.#families.get(name.slice(0, -s.length));
      if (f !== undefined && belongs(f, name)) this.#fail(`sample "${name}" of metric family "${f.name}" after another family began`);
    }
    return this.#open(name);
  }

  #sample(): void {
    const p = this.#p;
    const name = p.metricName();
    const f = this.#familyOf(name);
    f.hasSamples = true;
    const labels = p.labels();
    const suffix = name.slice(f.name.length);
    const v = p.value();
    const special = specialLabel(f, suffix);
    const key = (special === '' ? labels.withoutMetricName() : labels.without('__name__', special)).key();

    if (p.hasExemplar()) {
      const allowed =
        (f.type === MetricType.Counter && suffix === '_total') ||
        ((f.type === MetricType.Histogram || f.type === MetricType.GaugeHistogram) && suffix === '_bucket');
      if (!allowed) this.#fail(`exemplar not allowed on "${name}" (type ${f.type})`);
      if (p.exemplarRuneCount() > EXEMPLAR_MAX_RUNES) this.#fail(`exemplar labels longer than ${EXEMPLAR_MAX_RUNES} characters`);
    }
    this.#checkValue(f, suffix, labels, v);

    // Metrics (label sets) must not be interleaved; MetricPoints of one metric have increasing timestamps.
    if (key !== f.curKey) {
      if (f.curKey !== undefined) {
        this.#closePoint(f);
        f.done.add(f.curKey);
      }
      if (f.done.has(key)) this.#fail(`samples of one metric of "${f.name}" are interleaved with another metric`);
      f.curKey = key;
      f.point = undefined;
    }
    const ts = p.hasTimestamp() ? p.timestampSeconds() : undefined;
    const sampleId = suffix + '\u0000' + (special === '' ? '' : labels.get(special));
    let pt = f.point;
    if (pt !== undefined && (ts !== pt.ts || pt.samples.has(sampleId))) {
      if ((ts === undefined) !== (pt.ts === undefined)) this.#fail(`MetricPoints of one metric mix samples with and without timestamps`);
      if (ts === undefined || pt.ts === undefined || ts <= pt.ts) this.#fail(`MetricPoint timestamps of one metric must increase`);
      this.#closePoint(f);
      pt = undefined;
    }
    if (pt === undefined) {
      pt = { offset: this.#entry, ts, samples: new Set(), lastLe: -Infinity, lastBucket: -Infinity, infBucket: undefined, negativeBucket: false, count: undefined, sum: undefined };
      f.point = pt;
    }
    pt.samples.add(sampleId);
    this.#accumulate(f, pt, suffix, labels, v);
  }

  #checkValue(f: Family, suffix: string, labels: Labels, v: number): void {
    const counterLike = (what: string): void => {
      if (Number.isNaN(v)) this.#fail(`${what} must not be NaN`);
      if (v < 0) this.#fail(`${what} must not be negative`);
    };
    switch (f.type) {
      case MetricType.Counter:
        if (suffix === '_total') counterLike('a counter total');
        break;
      case MetricType.Stateset:
        if (!labels.has(f.name)) this.#fail(`stateset sample without the label "${f.name}"`);
        if (v !== 0 && v !== 1) this.#fail('stateset values must be 0 or 1');
        break;
      case MetricType.Info:
        if (v !== 1) this.#fail('info values must be 1');
        break;
      case MetricType.Summary:
        if (suffix === '') {
          const q = labels.get('quantile');
          if (!labels.has('quantile')) this.#fail('summary quantile sample without a "quantile" label');
          const qv = parseNumber(q);
          if (qv === undefined || Number.isNaN(qv) || qv < 0 || qv > 1) this.#fail(`invalid quantile "${q}"`);
          if (v < 0) this.#fail('quantile values must not be negative');
        } else if (suffix === '_sum' || suffix === '_count') {
          if (labels.has('quantile')) this.#fail(`summary ${suffix} must not have a "quantile" label`);
          counterLike(`a summary ${suffix}`);
          if (suffix === '_count' && !Number.isInteger(v)) this.#fail('a summary _count must be an integer');
        }
        break;
      case MetricType.Histogram:
      case MetricType.GaugeHistogram:
        if (suffix === '_bucket') {
          if (!labels.has('le')) this.#fail('histogram bucket without an "le" label');
          const le = labels.get('le');
          const lv = parseNumber(le);
          if (lv === undefined || Number.isNaN(lv) || (!Number.isFinite(lv) && le !== '+Inf' && le !== '-Inf')) this.#fail(`invalid "le" value "${le}"`);
          counterLike('a bucket value');
          if (!Number.isInteger(v)) this.#fail('bucket values must be integers');
        } else {
          if (labels.has('le')) this.#fail(`histogram ${suffix} must not have an "le" label`);
          if (suffix === '_count' || suffix === '_gcount') {
            counterLike(`a histogram ${suffix}`);
            if (!Number.isInteger(v)) this.#fail(`a histogram ${suffix} must be an integer`);
          } else if (suffix === '_sum') {
            counterLike('a histogram _sum');
          } else if (suffix === '_gsum' && Number.isNaN(v)) {
            this.#fail('a gauge histogram _gsum must not be NaN');
          }
        }
        break;
      case MetricType.Gauge:
      case MetricType.Unknown:
        break;
    }
  }

  #accumulate(f: Family, pt: Point, suffix: string, labels: Labels, v: number): void {
    if (f.type !== MetricType.Histogram && f.type !== MetricType.GaugeHistogram) return;
    switch (suffix) {
      case '_bucket': {
        const le = parseNumber(labels.get('le'))!;
        if (le <= pt.lastLe) this.#fail('buckets must be sorted by increasing "le" and unique');
        if (v < pt.lastBucket) this.#fail('bucket values must be cumulative (non-decreasing)');
        pt.lastLe = le;
        pt.lastBucket = v;
        if (le < 0) pt.negativeBucket = true;
        if (le === Infinity) pt.infBucket = v;
        break;
      }
      case '_count':
      case '_gcount':
        pt.count = v;
        break;
      case '_sum':
      case '_gsum':
        pt.sum = v;
        break;
    }
  }

  #closePoint(f: Family): void {
    const pt = f.point;
    f.point = undefined;
    if (pt === undefined) return;
    if (f.type !== MetricType.Histogram && f.type !== MetricType.GaugeHistogram) return;
    this.#entry = pt.offset; // report problems of the whole MetricPoint where it starts
    if (pt.infBucket === undefined) this.#fail(`histogram "${f.name}" has no +Inf bucket`);
    if ((pt.count === undefined) !== (pt.sum === undefined)) this.#fail(`histogram "${f.name}" must have both or neither of its sum and count (_sum/_count, _gsum/_gcount)`);
    if (pt.count !== undefined && pt.count !== pt.infBucket) this.#fail(`histogram "${f.name}" count differs from its +Inf bucket`);
    if (pt.sum !== undefined) {
      if (f.type === MetricType.Histogram && pt.negativeBucket) this.#fail(`histogram "${f.name}" with negative buckets must not have a sum`);
      if (f.type === MetricType.GaugeHistogram && pt.sum < 0 && !pt.negativeBucket) this.#fail(`gauge histogram "${f.name}" has a negative sum without negative buckets`);
    }
  }

  #closeFamily(f: Family): void {
    this.#closePoint(f);
  }
}

function belongs(f: Family, name: string): boolean {
  if (!name.startsWith(f.name)) return false;
  return SUFFIXES[f.type].includes(name.slice(f.name.length));
}

// specialLabel names the label that distinguishes samples within one MetricPoint.
function specialLabel(f: Family, suffix: string): string {
  if ((f.type === MetricType.Histogram || f.type === MetricType.GaugeHistogram) && suffix === '_bucket') return 'le';
  if (f.type === MetricType.Summary && suffix === '') return 'quantile';
  if (f.type === MetricType.Stateset) return f.name;
  return '';
}

function parseNumber(s: string): number | undefined {
  const b = Buffer.from(s, 'utf8');
  return scanFloat(b, 0, b.length, numOut) ? numOut[0] : undefined;
}
