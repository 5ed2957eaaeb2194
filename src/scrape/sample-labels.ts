/**
 * How a scraped series' labels are completed: target labels attached (with `honor_labels` or
 * `exported_` renaming on conflicts), metric_relabel_configs applied, then checked against the
 * label limits and name rules, all as Prometheus 2.42 does.
 * @module
 */
import { Labels, LabelsBuilder, METRIC_NAME } from '../model/index.js';
import { type RelabelConfig, relabel } from '../relabel/index.js';
import { isLegacyLabelName, isLegacyMetricName } from '../textparse/index.js';
import { InvalidSeriesError, LabelLimitError } from './errors.js';

const EXPORTED_PREFIX = 'exported_';

/** LabelLimits are a job's label_limit, label_name_length_limit and label_value_length_limit (0 = none). */
export interface LabelLimits {
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
}

/**
 * mutateSampleLabels adds the target's labels to a scraped series and applies the metric
 * relabel configs. Returns undefined when relabeling drops the series (or leaves it empty).
 */
export function mutateSampleLabels(lset: Labels, target: Labels, honorLabels: boolean, mrc: readonly RelabelConfig[]): Labels | undefined {
  let res: Labels | undefined = mergeLabels(lset, target, honorLabels) ?? withConflicts(lset, target, honorLabels);
  if (mrc.length > 0) res = relabel(res, mrc);
  return res === undefined || res.isEmpty() ? undefined : res;
}

// mergeLabels merges two sorted label sets in one pass; undefined when a name is in both and
// honor_labels is off, which needs the exported_ renaming.
function mergeLabels(exposed: Labels, target: Labels, honorLabels: boolean): Labels | undefined {
  const a = exposed.pairs();
  const b = target.pairs();
  const out: string[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const an = a[i]!;
    const bn = b[j]!;
    if (an < bn) {
      out[k++] = an;
      out[k++] = a[i + 1]!;
      i += 2;
    } else if (an > bn) {
      out[k++] = bn;
      out[k++] = b[j + 1]!;
      j += 2;
    } else {
      if (!honorLabels) return undefined;
      out[k++] = an; // the exposed value wins
      out[k++] = a[i + 1]!;
      i += 2;
      j += 2;
    }
  }
  for (; i < a.length; i++) out[k++] = a[i]!;
  for (; j < b.length; j++) out[k++] = b[j]!;
  out.length = k;
  return Labels.fromSortedPairs(out);
}

function withConflicts(lset: Labels, target: Labels, honorLabels: boolean): Labels {
  const lb = new LabelsBuilder(lset);
  if (honorLabels) {
    target.forEach((n, v) => {
      if (!lset.has(n)) lb.set(n, v);
    });
  } else {
    let conflicts: [string, string][] | undefined;
    target.forEach((n, v) => {
      const existing = lset.get(n);
      if (existing !== '') (conflicts ??= []).push([n, existing]);
      lb.set(n, v);
    });
    if (conflicts !== undefined) resolveConflicts(lb, lset, target, conflicts);
  }
  return lb.labels();
}

// resolveConflicts renames exposed labels that clash with target labels to exported_<name>,
// adding more prefixes until the name is free; shorter names are resolved first.
function resolveConflicts(lb: LabelsBuilder, exposed: Labels, target: Labels, conflicts: [string, string][]): void {
  conflicts.sort((a, b) => a[0].length - b[0].length); // stable, as Go's SliceStable
  for (let i = 0; i < conflicts.length; i++) {
    let name = conflicts[i]![0];
    for (;;) {
      name = EXPORTED_PREFIX + name;
      let taken = exposed.has(name) || target.has(name);
      for (let j = 0; j < i && !taken; j++) taken = conflicts[j]![0] === name;
      if (!taken) break;
    }
    conflicts[i]![0] = name;
  }
  for (const [n, v] of conflicts) lb.set(n, v);
}

/**
 * mutateReportSampleLabels attaches the target's labels to a synthetic series (`up`…); a
 * clashing exposed value moves to exported_<name>.
 */
export function mutateReportSampleLabels(lset: Labels, target: Labels): Labels {
  const lb = new LabelsBuilder(lset);
  target.forEach((n, v) => {
    lb.set(EXPORTED_PREFIX + n, lset.get(n));
    lb.set(n, v);
  });
  return lb.labels();
}

/**
 * checkSeries verifies a series after relabeling: it needs a metric name, valid names, and
 * must respect the label limits. Throws InvalidSeriesError or LabelLimitError.
 */
export function checkSeries(lset: Labels, limits: LabelLimits): void {
  const met = lset.get(METRIC_NAME);
  if (met === '') throw new InvalidSeriesError(`missing metric name (${METRIC_NAME} label)`, lset.toString());
  let valid = isLegacyMetricName(met);
  for (let i = 0; i < lset.length && valid; i++) {
    const n = lset.nameAt(i);
    valid = n === METRIC_NAME || isLegacyLabelName(n);
  }
  if (!valid) throw new InvalidSeriesError(`invalid metric name or label names: ${lset.toString()}`, lset.toString());
  verifyLabelLimits(lset, limits);
}

/** verifyLabelLimits throws LabelLimitError when a series breaks one of the label limits. */
export function verifyLabelLimits(lset: Labels, limits: LabelLimits): void {
  const met = truncRunes(lset.get(METRIC_NAME), 50);
  if (limits.labelLimit > 0 && lset.length > limits.labelLimit) {
    throw new LabelLimitError('label_limit', `label_limit exceeded (metric: ${met}, number of labels: ${lset.length}, limit: ${limits.labelLimit})`);
  }
  if (limits.labelNameLengthLimit === 0 && limits.labelValueLengthLimit === 0) return;
  for (let i = 0; i < lset.length; i++) {
    const n = lset.nameAt(i);
    const v = lset.valueAt(i);
    if (limits.labelNameLengthLimit > 0) {
      const len = Buffer.byteLength(n);
      if (len > limits.labelNameLengthLimit) {
        throw new LabelLimitError(
          'label_name_length_limit',
          `label_name_length_limit exceeded (metric: ${met}, label name: ${truncRunes(n, 50)}, length: ${len}, limit: ${limits.labelNameLengthLimit})`,
        );
      }
    }
    if (limits.labelValueLengthLimit > 0) {
      const len = Buffer.byteLength(v);
      if (len > limits.labelValueLengthLimit) {
        throw new LabelLimitError(
          'label_value_length_limit',
          `label_value_length_limit exceeded (metric: ${met}, label name: ${truncRunes(n, 50)}, value: ${JSON.stringify(truncRunes(v, 50))}, length: ${len}, limit: ${limits.labelValueLengthLimit})`,
        );
      }
    }
  }
}

// truncRunes keeps the first n code points, like Go's %.50s.
function truncRunes(s: string, n: number): string {
  if (s.length <= n) return s;
  return [...s].slice(0, n).join('');
}
