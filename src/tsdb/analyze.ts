/**
 * Block analysis and listing in promtool's output formats (`promtool tsdb analyze` and
 * `tsdb list`): churn, label cardinality and chunk fullness tables, and the block table.
 * @module
 */
import { compareStrings } from '../model/index.js';
import { MAX_SAMPLES_PER_CHUNK } from './chunkenc/index.js';
import type { Block } from './block-reader.js';
import { utf8Length } from '../encoding/index.js';

/** formatGoDuration formats ms as Go's time.Duration.String does (`2h0m0s`, `30.001s`, `1ms`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let a = Math.abs(ms);
  if (a < 1000) return `${neg ? '-' : ''}${a}ms`;
  const frac = a % 1000;
  a = (a - frac) / 1000;
  const s = a % 60;
  a = (a - s) / 60;
  const m = a % 60;
  const h = (a - m) / 60;
  let sec = String(s);
  if (frac !== 0) sec += '.' + String(frac).padStart(3, '0').replace(/0+$/, '');
  sec += 's';
  const body = h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
  return (neg ? '-' : '') + body;
}

/** formatBase2Bytes formats a size as alecthomas/units' Base2Bytes.String does (`1KiB53B`). */
export function formatBase2Bytes(n: number): string {
  if (n === 0) return '0B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const parts: string[] = [];
  let rest = n;
  for (let i = 0; i < units.length && rest > 0; i++) {
    const d = rest % 1024;
    if (d !== 0) parts.unshift(`${d}${units[i]}`);
    rest = Math.floor(rest / 1024);
  }
  return parts.join('');
}

/** formatUTCTime formats ms as Go's time.Unix(t/1000, 0).UTC().String(): `2024-01-01 00:00:00 +0000 UTC`. */
export function formatUTCTime(ms: number): string {
  const d = new Date(Math.trunc(ms / 1000) * 1000);
  const p = (x: number, n = 2): string => String(x).padStart(n, '0');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/**
 * tabulate lays out rows as Go's text/tabwriter with minwidth 13, padding 2 and spaces (what
 * promtool uses): every column but the last is padded to its widest cell plus two, at least 13.
 */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, Math.max(r[i]!.length + 2, 13));
  }
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('') + '\n').join('');
}

/** blockTable renders blocks as `promtool tsdb list` does (header optional). */
export function blockTable(blocks: readonly Block[], options: { readonly header?: boolean; readonly humanReadable?: boolean } = {}): string {
  const { header = true, humanReadable = false } = options;
  const rows: string[][] = [];
  if (header) rows.push(['BLOCK ULID', 'MIN TIME', 'MAX TIME', 'DURATION', 'NUM SAMPLES', 'NUM CHUNKS', 'NUM SERIES', 'SIZE']);
  for (const b of blocks) {
    const m = b.meta;
    rows.push([
      m.ulid,
      humanReadable ? formatUTCTime(m.minTime) : String(m.minTime),
      humanReadable ? formatUTCTime(m.maxTime) : String(m.maxTime),
      formatGoDuration(m.maxTime - m.minTime),
      String(m.stats.numSamples ?? 0),
      String(m.stats.numChunks ?? 0),
      String(m.stats.numSeries ?? 0),
      humanReadable ? formatBase2Bytes(b.size()) : String(b.size()),
    ]);
  }
  return tabulate(rows);
}

interface Info {
  readonly key: string;
  readonly metric: number;
}

/**
 * analyzeBlock renders `promtool tsdb analyze` output for one block: `limit` rows per table, and
 * the chunk fullness histogram when `extended`. Rows with equal counts are ordered by key
 * (promtool's order for ties is random).
 */
export function analyzeBlock(block: Block, options: { readonly limit?: number; readonly extended?: boolean } = {}): string {
  const { limit = 20, extended = false } = options;
  const m = block.meta;
  const ix = block.index;
  const span = m.maxTime - m.minTime;
  let out = '';
  out += `Block ID: ${m.ulid}\n`;
  out += `Duration: ${formatGoDuration(span)}\n`;
  out += `Series: ${m.stats.numSeries ?? 0}\n`;
  const names = ix.labelNames();
  out += `Label names: ${names.length}\n`;
  const print = (infos: Info[]): void => {
    infos.sort((a, b) => b.metric - a.metric || compareStrings(a.key, b.key));
    for (let i = 0; i < infos.length && i < limit; i++) out += `${infos[i]!.metric} ${infos[i]!.key}\n`;
  };
  const labelsUncovered = new Map<string, number>();
  const pairsUncovered = new Map<string, number>();
  const pairsCount = new Map<string, number>();
  let entries = 0;
  const chunkFill = new Array<number>(10).fill(0);
  let totalChunks = 0;
  for (const ref of ix.allPostings()) {
    const s = ix.series(ref);
    if (s.chunks.length === 0) continue;
    // The part of the block's range this series does not cover.
    const uncovered = span - (s.chunks[s.chunks.length - 1]!.maxt - s.chunks[0]!.mint);
    s.labels.forEach((n, v) => {
      const key = `${n}=${v}`;
      labelsUncovered.set(n, (labelsUncovered.get(n) ?? 0) + uncovered);
      pairsUncovered.set(key, (pairsUncovered.get(key) ?? 0) + uncovered);
      pairsCount.set(key, (pairsCount.get(key) ?? 0) + 1);
      entries++;
    });
    if (extended) {
      for (const c of s.chunks) {
        const n = Math.min(block.chunks.chunk(c.ref).numSamples(), MAX_SAMPLES_PER_CHUNK);
        chunkFill[Math.ceil((10 * n) / MAX_SAMPLES_PER_CHUNK) - 1]!++;
        totalChunks++;
      }
    }
  }
  out += `Postings (unique label pairs): ${pairsUncovered.size}\n`;
  out += `Postings entries (total label pairs): ${entries}\n`;
  const churn = (mp: Map<string, number>): Info[] => [...mp].map(([key, u]) => ({ key, metric: span === 0 ? 0 : Math.trunc(u / span) }));
  out += '\nLabel pairs most involved in churning:\n';
  print(churn(pairsUncovered));
  out += '\nLabel names most involved in churning:\n';
  print(churn(labelsUncovered));
  out += '\nMost common label pairs:\n';
  print([...pairsCount].map(([key, metric]) => ({ key, metric })));
  out += '\nLabel names with highest cumulative label value length:\n';
  print(names.map((n) => ({ key: n, metric: ix.sortedLabelValues(n).reduce((a, v) => a + utf8Length(v), 0) })));
  out += '\nHighest cardinality labels:\n';
  print(names.map((n) => ({ key: n, metric: ix.sortedLabelValues(n).length })));
  out += '\nHighest cardinality metric names:\n';
  print(ix.sortedLabelValues('__name__').map((n) => ({ key: n, metric: ix.postings('__name__', [n]).length })));
  if (extended) {
    out += '\nCompaction analysis:\n';
    out += 'Fullness: Amount of samples in chunks (100% is 120 samples)\n';
    for (let b = 0; b < 10; b++) {
      const pct = totalChunks === 0 ? 0 : Math.trunc((100 * chunkFill[b]!) / totalChunks);
      out += `${String((b + 1) * 10).padStart(7)}%: ${'#'.repeat(pct)}\n`;
    }
  }
  return out;
}
