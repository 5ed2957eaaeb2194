/**
 * Writer for the Prometheus text format 0.0.4, as Prometheus's Go libraries print it: values
 * with Go's shortest 'g' formatting, label values and HELP escaped, timestamps in ms. Names
 * that are not legacy Prometheus names are written quoted inside the braces.
 * @module
 */
import { type Labels, METRIC_NAME, formatFloatG } from '../model/index.js';
import { isLegacyLabelName, isLegacyMetricName } from './char-class.js';
import { MetricType } from './entry.js';

/** TextWriter accumulates families and samples in the text format. */
export class TextWriter {
  #out = '';

  /** help writes `# HELP name text`, escaping backslashes and line breaks. */
  help(name: string, text: string): this {
    this.#out += `# HELP ${metadataName(name)} ${escapeHelp(text)}\n`;
    return this;
  }

  /** type writes `# TYPE name type`; `unknown` is written as the text format's `untyped`. */
  type(name: string, type: MetricType): this {
    const t = type === MetricType.Unknown || type === MetricType.Info || type === MetricType.Stateset || type === MetricType.GaugeHistogram ? 'untyped' : type;
    this.#out += `# TYPE ${metadataName(name)} ${t}\n`;
    return this;
  }

  /** sample writes one sample line; the metric name is the `__name__` label. `t` is Unix ms. */
  sample(labels: Labels, value: number, t?: number): this {
    this.#out += formatSeries(labels) + ' ' + formatFloatG(value) + (t === undefined ? '\n' : ` ${Math.trunc(t)}\n`);
    return this;
  }

  /** text returns everything written so far. */
  text(): string {
    return this.#out;
  }

  /** bytes returns everything written so far as UTF-8. */
  bytes(): Buffer {
    return Buffer.from(this.#out, 'utf8');
  }

  /** reset empties the writer. */
  reset(): void {
    this.#out = '';
  }
}

/** formatSeries prints a label set as a text-format series: `name{a="1",b="2"}`. */
export function formatSeries(labels: Labels): string {
  const name = labels.get(METRIC_NAME);
  const quotedName = name !== '' && !isLegacyMetricName(name);
  let s = quotedName ? '' : name;
  let first = true;
  let body = '';
  if (quotedName) {
    body = quoteName(name);
    first = false;
  }
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const ln = labels.nameAt(i);
    if (ln === METRIC_NAME) continue;
    if (!first) body += ',';
    first = false;
    body += (isLegacyLabelName(ln) ? ln : quoteName(ln)) + '="' + escapeLabelValue(labels.valueAt(i)) + '"';
  }
  if (body !== '' || name === '') s += '{' + body + '}';
  return s;
}

/** escapeLabelValue escapes `\`, `"` and line breaks for a quoted label value. */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** escapeHelp escapes `\` and line breaks for HELP text. */
export function escapeHelp(v: string): string {
  if (!/[\\\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function quoteName(n: string): string {
  return '"' + escapeLabelValue(n) + '"';
}

function metadataName(n: string): string {
  return isLegacyMetricName(n) ? n : quoteName(n);
}
