/**
 * The agent's own metrics into a push batch: the self-metrics registry is walked straight into
 * the MetricBatch, with no text exposition rendered and parsed again every push cycle. The
 * series are those addExposition makes of the registry's text: counters and gauges keep their
 * type, a histogram's `_bucket`, `_sum` and `_count` (and any other family) go as untyped with
 * the family's help, labels sorted by name. One difference: a sample with an empty label value
 * is kept (the text path lost it, its family then having other label names).
 * @module
 */
import type { ExpositionSink, FamilyType, Registry } from '../instrument/index.js';
import { MetricType, type MetricBatch } from './host/index.js';

/** addRegistry adds the series of a registry to a batch; a series clashing with a collected family is left out (the collected one stays). */
export function addRegistry(batch: MetricBatch, registry: Registry): void {
  registry.write(new BatchSink(batch));
}

class BatchSink implements ExpositionSink {
  readonly #batch: MetricBatch;
  #family = '';
  #type: FamilyType = 'untyped';
  #help = '';

  constructor(batch: MetricBatch) {
    this.#batch = batch;
  }

  family(name: string, type: FamilyType, help: string): void {
    this.#family = name;
    this.#type = type;
    this.#help = help;
  }

  sample(name: string, labels: readonly (readonly [string, string])[], value: number): void {
    const own = name === this.#family;
    const type = !own ? MetricType.untyped : this.#type === 'counter' ? MetricType.counter : this.#type === 'gauge' ? MetricType.gauge : MetricType.untyped;
    // Sorted by name, as a parsed exposition has them. An empty value stays, so the family keeps
    // one set of label names (remote write leaves empty values out, as Prometheus does).
    const sorted = labels.length < 2 ? labels : [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    try {
      const f = this.#batch.family(name, type, own || isPartOf(name, this.#family) ? this.#help : '', sorted.map((l) => l[0]));
      this.#batch.add(f, value, sorted.map((l) => l[1]));
    } catch {
      // A self-metric clashing with a collected family keeps the collected one.
    }
  }
}

// isPartOf tells a histogram's or summary's series name (`_bucket`, `_sum`, `_count`) of a family.
function isPartOf(name: string, family: string): boolean {
  return name.length > family.length && name.startsWith(family) && /^_(bucket|sum|count)$/.test(name.slice(family.length));
}
