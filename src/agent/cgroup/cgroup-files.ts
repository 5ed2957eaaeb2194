/**
 * Parsers for the cgroup v1 and v2 interface files the agent reads. Each takes the file's
 * text and the path (for errors) and throws CgroupParseError with the line of a bad row.
 * @module
 */
import { CgroupParseError } from './errors.js';

/** parseKeyed reads `key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseKeyed(text: string, path: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const v = sp < 0 ? NaN : Number(line.slice(sp + 1));
    if (sp <= 0 || line.length === sp + 1 || Number.isNaN(v)) throw new CgroupParseError(path, ln + 1, `expected "key value", got "${line}"`);
    out.set(line.slice(0, sp), v);
  }
  return out;
}

/** parseValue reads a one-number file; `max` (no limit) is Infinity. */
export function parseValue(text: string, path: string): number {
  const s = text.trim();
  if (s === 'max') return Infinity;
  const v = Number(s);
  if (s === '' || Number.isNaN(v)) throw new CgroupParseError(path, 1, `expected a number, got "${s.slice(0, 40)}"`);
  return v;
}

/** parseCpuMax reads v2 cpu.max (`max 100000` or `50000 100000`): quota (Infinity for max) and period, µs. */
export function parseCpuMax(text: string, path: string): { quota: number; period: number } {
  const f = text.trim().split(/\s+/);
  if (f.length !== 2) throw new CgroupParseError(path, 1, `expected "<quota|max> <period>", got "${text.trim()}"`);
  return { quota: parseValue(f[0]!, path), period: parseValue(f[1]!, path) };
}

/** BlkioRow is one `major:minor Operation value` row of a v1 blkio file. */
export interface BlkioRow {
  readonly major: number;
  readonly minor: number;
  /** `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total`. */
  readonly op: string;
  readonly value: number;
}

/** parseBlkio reads v1 blkio.*io_service_bytes* / *io_serviced* files; the device-less `Total` line is skipped. */
export function parseBlkio(text: string, path: string): BlkioRow[] {
  const out: BlkioRow[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const f = lines[ln]!.trim().split(/\s+/);
    if (f.length === 1 && (f[0] === '' || f[0] === 'Total')) continue;
    if (f[0] === 'Total' && f.length === 2) continue;
    const m = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    const v = Number(f[2]);
    if (f.length !== 3 || m === null || Number.isNaN(v)) throw new CgroupParseError(path, ln + 1, `expected "major:minor op value", got "${lines[ln]}"`);
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: f[1]!, value: v });
  }
  return out;
}

/** IoStatRow is one device line of v2 io.stat. */
export interface IoStatRow {
  readonly major: number;
  readonly minor: number;
  /** rbytes, wbytes, rios, wios, dbytes, dios (and cost.* keys with io.cost). */
  readonly fields: ReadonlyMap<string, number>;
}

/** parseIoStat reads v2 io.stat (`8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`). */
export function parseIoStat(text: string, path: string): IoStatRow[] {
  const out: IoStatRow[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const f = lines[ln]!.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') continue;
    const m = /^(\d+):(\d+)$/.exec(f[0]!);
    if (m === null) throw new CgroupParseError(path, ln + 1, `expected "major:minor key=value…", got "${lines[ln]}"`);
    const fields = new Map<string, number>();
    for (const kv of f.slice(1)) {
      const eq = kv.indexOf('=');
      const v = Number(kv.slice(eq + 1));
      if (eq <= 0 || Number.isNaN(v)) throw new CgroupParseError(path, ln + 1, `bad field "${kv}"`);
      fields.set(kv.slice(0, eq), v);
    }
    out.push({ major: Number(m[1]), minor: Number(m[2]), fields });
  }
  return out;
}

/** parsePidList reads cgroup.procs or tasks: one pid per line. */
export function parsePidList(text: string, path: string): number[] {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const s = lines[ln]!;
    if (s === '') continue;
    const v = Number(s);
    if (!Number.isInteger(v) || v < 0) throw new CgroupParseError(path, ln + 1, `expected a pid, got "${s}"`);
    out.push(v);
  }
  return out;
}
