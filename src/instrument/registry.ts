/**
 * Self-instrumentation: counters, gauges and histograms that vigil's engines update, exposed
 * on `/metrics` in the Prometheus text format 0.0.4. Engines create their metrics on a
 * Registry handed to them; nothing here is global.
 * @module
 */
import { formatFloatG } from '../model/index.js';

/** MetricOpts names and documents a metric family. */
export interface MetricOpts {
  readonly name: string;
  readonly help: string;
  /** Names of the variable labels; values are given to `labels(...)`. */
  readonly labelNames?: readonly string[];
}

/** HistogramOpts adds bucket upper bounds (sorted, +Inf implied). */
export interface HistogramOpts extends MetricOpts {
  readonly buckets?: readonly number[];
}

/** DEFAULT_BUCKETS are Prometheus client_golang's default histogram buckets. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Counter is a monotonically increasing value. */
export class Counter {
  value = 0;
  /** inc adds v (≥ 0). */
  inc(v = 1): void {
    if (v < 0) throw new Error('counter cannot decrease');
    this.value += v;
  }
}

/** Gauge is a value that goes up and down. */
export class Gauge {
  value = 0;
  /** set replaces the value. */
  set(v: number): void {
    this.value = v;
  }
  /** inc adds v. */
  inc(v = 1): void {
    this.value += v;
  }
  /** dec subtracts v. */
  dec(v = 1): void {
    this.value -= v;
  }
}

/** Histogram counts observations into cumulative buckets. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  /** observe records one value. */
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';

/** FamilyType is the TYPE of a family in text format 0.0.4. */
export type FamilyType = Kind | 'summary' | 'untyped';

/** Family is a metric with zero or more labelled children. */
export class Family<T extends Counter | Gauge | Histogram> {
  readonly #children = new Map<string, { values: readonly string[]; m: T }>();
  constructor(
    readonly kind: Kind,
    readonly opts: MetricOpts,
    readonly make: () => T,
  ) {}

  /** labels returns the child for these label values (created on first use). */
  labels(...values: string[]): T {
    const names = this.opts.labelNames ?? [];
    if (values.length !== names.length) {
      throw new Error(`${this.opts.name}: expected ${names.length} label values, got ${values.length}`);
    }
    const k = values.join('\u0000');
    let c = this.#children.get(k);
    if (c === undefined) {
      c = { values, m: this.make() };
      this.#children.set(k, c);
    }
    return c.m;
  }

  /** remove deletes a child, e.g. when the target it describes goes away. */
  remove(...values: string[]): void {
    this.#children.delete(values.join('\u0000'));
  }

  /** children lists the current children. */
  children(): Iterable<{ values: readonly string[]; m: T }> {
    return this.#children.values();
  }
}

/** ExpositionSink takes families and their samples as a registry walks them. */
export interface ExpositionSink {
  /** family starts a family; its samples follow (a histogram's as `_bucket`, `_sum`, `_count`). */
  family(name: string, type: FamilyType, help: string): void;
  /** sample takes one sample of the family last started. */
  sample(name: string, labels: readonly (readonly [string, string])[], value: number): void;
}

/** Collector writes metrics computed at scrape time. */
export type Collector = (w: ExpositionSink) => void;

/** ExpositionWriter writes families in text format 0.0.4. */
export class ExpositionWriter implements ExpositionSink {
  #out = '';
  /** family starts a family with its HELP and TYPE lines. */
  family(name: string, type: FamilyType, help: string): void {
    this.#out += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  }
  /** sample writes one sample line. */
  sample(name: string, labels: readonly (readonly [string, string])[], value: number): void {
    let s = name;
    if (labels.length > 0) {
      s += '{' + labels.map(([n, v]) => `${n}="${escapeValue(v)}"`).join(',') + '}';
    }
    this.#out += `${s} ${formatValue(value)}\n`;
  }
  /** text returns what was written. */
  text(): string {
    return this.#out;
  }
}

/** Registry holds metric families and collectors and renders them. */
export class Registry {
  readonly #families = new Map<string, Family<Counter | Gauge | Histogram>>();
  readonly #collectors: Collector[] = [];

  /** counter registers a counter family; without labelNames, use `.labels()` with no arguments. */
  counter(opts: MetricOpts): Family<Counter> {
    return this.#register('counter', opts, () => new Counter());
  }

  /** gauge registers a gauge family. */
  gauge(opts: MetricOpts): Family<Gauge> {
    return this.#register('gauge', opts, () => new Gauge());
  }

  /** histogram registers a histogram family. */
  histogram(opts: HistogramOpts): Family<Histogram> {
    const bounds = [...(opts.buckets ?? DEFAULT_BUCKETS)];
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${opts.name}: buckets must increase`);
    }
    return this.#register('histogram', opts, () => new Histogram(bounds));
  }

  /** collect adds a function called at every exposition. */
  collect(c: Collector): void {
    this.#collectors.push(c);
  }

  #register<T extends Counter | Gauge | Histogram>(kind: Kind, opts: MetricOpts, make: () => T): Family<T> {
    if (!NAME_RE.test(opts.name)) throw new Error(`invalid metric name "${opts.name}"`);
    for (const l of opts.labelNames ?? []) if (!LABEL_RE.test(l)) throw new Error(`invalid label name "${l}"`);
    if (this.#families.has(opts.name)) throw new Error(`metric "${opts.name}" registered twice`);
    const f = new Family<T>(kind, opts, make);
    this.#families.set(opts.name, f as unknown as Family<Counter | Gauge | Histogram>);
    return f;
  }

  /** expose renders every family and collector in text format 0.0.4, families sorted by name. */
  expose(): string {
    const w = new ExpositionWriter();
    this.write(w);
    return w.text();
  }

  /** write hands every family and collector to a sink, families sorted by name, as expose renders them. */
  write(w: ExpositionSink): void {
    const names = [...this.#families.keys()].sort();
    for (const name of names) {
      const f = this.#families.get(name)!;
      const children = [...f.children()];
      if (children.length === 0 && (f.opts.labelNames?.length ?? 0) > 0) continue;
      if (children.length === 0) f.labels(); // unlabelled metrics show 0 from the start
      w.family(name, f.kind, f.opts.help);
      const labelNames = f.opts.labelNames ?? [];
      for (const { values, m } of f.children()) {
        const pairs = labelNames.map((n, i) => [n, values[i]!] as const);
        if (m instanceof Histogram) {
          let cum = 0;
          for (let i = 0; i < m.bounds.length; i++) {
            cum += m.counts[i]!;
            w.sample(`${name}_bucket`, [...pairs, ['le', formatValue(m.bounds[i]!)]], cum);
          }
          w.sample(`${name}_bucket`, [...pairs, ['le', '+Inf']], m.count);
          w.sample(`${name}_sum`, pairs, m.sum);
          w.sample(`${name}_count`, pairs, m.count);
        } else {
          w.sample(name, pairs, m.value);
        }
      }
    }
    for (const c of this.#collectors) c(w);
  }
}

/** formatValue prints a float as Prometheus's Go clients do (strconv 'g', shortest). */
export function formatValue(v: number): string {
  return formatFloatG(v);
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
