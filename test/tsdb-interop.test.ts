// Interop of vigil's TSDB block format with the real Prometheus 2.42 tools (Debian package):
// promtool writes blocks vigil reads, vigil writes blocks promtool and Prometheus read, and
// vigil's backfill writes the very bytes promtool's does.
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType, STALE_NAN, formatFloatF, formatFloatG } from '../src/model/index.js';
import { MergeSeriesSet, ValueType } from '../src/storage/index.js';
import { runTsdb } from '../src/cli/cmd-tsdb.js';
import { Block, XORChunk, analyzeBlock, compact, dumpSeriesSet, openBlocks, writeBlock, type ChunkMeta } from '../src/tsdb/index.js';
import { peer } from './support/peers.js';
import { startPeer } from './support/peer-process.js';

const promtool = peer('promtool');
const prometheus = peer('prometheus');
const ALL = [new Matcher(MatchType.Regexp, '__name__', '.+')];
const T0 = 1_704_067_200; // 2024-01-01T00:00:00Z, seconds

interface Series {
  readonly labels: Labels;
  readonly samples: [number, number][]; // [ms, value]
}

// A deterministic dataset spanning two 2h blocks: counters, gauges with decimals, jittered and
// fractional timestamps, a long gap, NaN, escapes and UTF-8 in label values.
function dataset(): Series[] {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: Series[] = [];
  for (const code of ['200', '404', '500']) {
    for (const method of ['get', 'post']) {
      const s: [number, number][] = [];
      let v = 0;
      for (let t = T0 * 1000; t < (T0 + 3 * 3600) * 1000; t += 15_000 + (rnd() < 0.2 ? Math.floor(rnd() * 40) * 25 : 0)) {
        v += Math.floor(rnd() * 10);
        s.push([t, v]);
      }
      out.push({ labels: Labels.fromStrings('__name__', 'http_requests_total', 'code', code, 'method', method), samples: s });
    }
  }
  for (const room of ['kitchen', 'hall "north"', 'bäder\\1', 'line\nbreak']) {
    const s: [number, number][] = [];
    for (let t = T0 * 1000 + 123; t < (T0 + 2.5 * 3600) * 1000; t += 60_000) s.push([t, Math.round((20 + rnd() * 5) * 100) / 100]);
    out.push({ labels: Labels.fromStrings('__name__', 'room_temperature_celsius', 'room', room), samples: s });
  }
  out.push({ labels: Labels.fromStrings('__name__', 'sparse', 'job', 'x'), samples: [[T0 * 1000, 1], [T0 * 1000 + 5, 2], [(T0 + 7000) * 1000, -3.5], [(T0 + 7001) * 1000, NaN], [(T0 + 7100) * 1000, 1e300]] });
  out.push({ labels: Labels.fromStrings('__name__', 'up', 'instance', 'a:9100'), samples: [[(T0 + 60) * 1000, 1]] });
  return out.sort((a, b) => a.labels.compare(b.labels));
}

function omEscape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function toOpenMetrics(series: readonly Series[]): string {
  let s = '';
  for (const x of series) {
    const name = x.labels.get('__name__');
    const ls: string[] = [];
    x.labels.forEach((n, v) => {
      if (n !== '__name__') ls.push(`${n}="${omEscape(v)}"`);
    });
    const head = ls.length > 0 ? `${name}{${ls.join(',')}}` : name;
    for (const [t, v] of x.samples) s += `${head} ${Number.isNaN(v) ? 'NaN' : String(v)} ${t % 1000 === 0 ? t / 1000 : (t / 1000).toFixed(3)}\n`;
  }
  return s + '# EOF\n';
}

async function readAll(dir: string): Promise<{ labels: string; samples: [number, string][] }[]> {
  const { blocks, errors } = await openBlocks(dir);
  expect(errors).toEqual([]);
  const qs = blocks.map((b) => b.querier(-Infinity, Infinity));
  const ss = new MergeSeriesSet(qs.map((q) => q.selectSync(ALL)));
  const out: { labels: string; samples: [number, string][] }[] = [];
  while (ss.next()) {
    const it = ss.at().iterator();
    const samples: [number, string][] = [];
    while (it.next() === ValueType.Float) samples.push([it.atT(), formatFloatG(it.atF())]);
    expect(it.err()).toBeUndefined();
    out.push({ labels: ss.at().labels.toString(), samples });
  }
  expect(ss.err()).toBeUndefined();
  for (const q of qs) await q.close();
  for (const b of blocks) await b.close();
  return out;
}

function expected(series: readonly Series[]): { labels: string; samples: [number, string][] }[] {
  return series.map((s) => ({ labels: s.labels.toString(), samples: s.samples.map(([t, v]) => [t, formatFloatG(v)] as [number, string]) }));
}

async function vigilDump(dir: string): Promise<string> {
  const { blocks } = await openBlocks(dir);
  const qs = blocks.map((b) => b.querier(-Infinity, Infinity));
  let text = '';
  await dumpSeriesSet(new MergeSeriesSet(qs.map((q) => q.selectSync(ALL))), (s) => void (text += s));
  for (const q of qs) await q.close();
  for (const b of blocks) await b.close();
  return text;
}

function promtoolDump(dir: string): string {
  // promtool 2.42 opens the directory as a read-only DB and insists on a wal/ directory.
  execFileSync('mkdir', ['-p', join(dir, 'wal')]);
  return execFileSync(promtool!, ['tsdb', 'dump', dir], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

async function captureStdout(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const orig = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = orig;
  }
}

async function blockDirs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
}

// Sections of `tsdb analyze` output with rows sorted: promtool orders equal counts randomly.
function normalizeAnalyze(text: string): string[] {
  return text
    .replace(/^Block ID: .*$/m, '')
    .split('\n\n')
    .map((sec) => {
      const [head, ...rows] = sec.split('\n');
      return [head, ...rows.filter((r) => r !== '').sort()].join('\n');
    });
}

describe.skipIf(promtool === undefined)('TSDB blocks and promtool', () => {
  let dir: string;
  const series = dataset();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-interop-'));
    await writeFile(join(dir, 'input.om'), toOpenMetrics(series));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('backfills the same blocks as promtool, byte for byte', async () => {
    const pdir = join(dir, 'promtool');
    const vdir = join(dir, 'vigil');
    const ptext = execFileSync(promtool!, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'input.om'), pdir], { encoding: 'utf8' });
    const { code, out } = await captureStdout(() => runTsdb(['create-blocks-from', 'openmetrics', join(dir, 'input.om'), vdir]));
    expect(code).toBe(0);
    const pblocks = await blockDirs(pdir);
    const vblocks = await blockDirs(vdir);
    expect(vblocks.length).toBe(2);
    expect(vblocks.length).toBe(pblocks.length);
    // The printed table differs only in ULIDs.
    const noIds = (s: string): string => s.replace(/[0-9A-Z]{26}/g, 'ULID');
    expect(noIds(out)).toBe(noIds(ptext));
    for (let i = 0; i < pblocks.length; i++) {
      const p = join(pdir, pblocks[i]!);
      const v = join(vdir, vblocks[i]!);
      for (const f of ['index', 'chunks/000001', 'tombstones']) {
        expect(Buffer.compare(await readFile(join(v, f)), await readFile(join(p, f))), f).toBe(0);
      }
      const pm = JSON.parse(await readFile(join(p, 'meta.json'), 'utf8'));
      const vm = JSON.parse(await readFile(join(v, 'meta.json'), 'utf8'));
      expect({ ...vm, ulid: 'x', compaction: { ...vm.compaction, sources: [] } }).toEqual({ ...pm, ulid: 'x', compaction: { ...pm.compaction, sources: [] } });
    }
  });

  it('regenerates the committed golden blocks', async () => {
    // src/tsdb/testdata/promtool-2.42 was written by this promtool from backfill-input.om.
    const td = join(import.meta.dirname, '../src/tsdb/testdata');
    const gdir = join(dir, 'golden');
    execFileSync(promtool!, ['tsdb', 'create-blocks-from', 'openmetrics', join(td, 'backfill-input.om'), gdir], { encoding: 'utf8' });
    const fresh = await blockDirs(gdir);
    const committed = await blockDirs(join(td, 'promtool-2.42'));
    expect(fresh.length).toBe(committed.length);
    for (let i = 0; i < fresh.length; i++) {
      for (const f of ['index', 'chunks/000001', 'tombstones']) {
        expect(Buffer.compare(await readFile(join(gdir, fresh[i]!, f)), await readFile(join(td, 'promtool-2.42', committed[i]!, f))), f).toBe(0);
      }
    }
  });

  it('reads the blocks promtool wrote and returns the same samples', async () => {
    expect(await readAll(join(dir, 'promtool'))).toEqual(expected(series));
  });

  it('dumps what promtool dumps', async () => {
    expect(await vigilDump(join(dir, 'promtool'))).toBe(promtoolDump(join(dir, 'promtool')));
  });

  it('writes blocks that promtool dumps and analyzes as vigil does', async () => {
    const wdir = join(dir, 'written');
    // Chunks of 50 samples, small segments: several chunk files per block.
    const metas = [];
    for (const [mint, maxt] of [[T0 * 1000, (T0 + 7200) * 1000], [(T0 + 7200) * 1000, (T0 + 14400) * 1000]] as const) {
      metas.push(
        await writeBlock({
          dir: wdir,
          mint,
          maxt,
          segmentSize: 4096,
          series: series.map((s) => ({ labels: s.labels, chunks: chunksOf(s.samples.filter(([t]) => t >= mint && t < maxt), 50) })),
        }),
      );
    }
    expect(metas.every((m) => m !== undefined)).toBe(true);
    expect((await readdir(join(wdir, metas[0]!.ulid, 'chunks'))).length).toBeGreaterThan(1);
    const dump = promtoolDump(wdir);
    expect(dump).toBe(await vigilDump(wdir));
    expect(dump).toBe(await vigilDump(join(dir, 'promtool')));
    for (const m of metas) {
      const p = execFileSync(promtool!, ['tsdb', 'analyze', '--extended', wdir, m!.ulid], { encoding: 'utf8' });
      const b = await Block.open(join(wdir, m!.ulid));
      expect(normalizeAnalyze(analyzeBlock(b, { extended: true }))).toEqual(normalizeAnalyze(p));
      await b.close();
    }
    const list = execFileSync(promtool!, ['tsdb', 'list', wdir], { encoding: 'utf8' });
    const { out } = await captureStdout(() => runTsdb(['list', wdir]));
    expect(out).toBe(list);
  });

  it('compacts blocks into one that promtool reads', async () => {
    const wdir = join(dir, 'written');
    const cdir = join(dir, 'compacted');
    const { blocks } = await openBlocks(wdir);
    const meta = (await compact(blocks, { dir: cdir }))!;
    for (const b of blocks) await b.close();
    expect(meta.compaction.level).toBe(2);
    expect(promtoolDump(cdir)).toBe(await vigilDump(join(dir, 'promtool')));
  });

  it('keeps stale markers readable by promtool', async () => {
    const sdir = join(dir, 'stale');
    const l = Labels.fromStrings('__name__', 'gone');
    await writeBlock({ dir: sdir, mint: 0, maxt: 7_200_000, series: [{ labels: l, chunks: chunksOf([[1000, 1], [2000, STALE_NAN]], 120) }] });
    expect(promtoolDump(sdir)).toBe('{__name__="gone"} 1 1000\n{__name__="gone"} NaN 2000\n');
  });

  describe.skipIf(prometheus === undefined)('Prometheus 2.42 on vigil-written blocks', () => {
    it('serves the same samples through its HTTP API', async () => {
      const pdir = join(dir, 'prom-data');
      await cp(join(dir, 'written'), pdir, { recursive: true });
      await writeFile(join(dir, 'empty.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
      const p = await startPeer(
        prometheus!,
        (port) => [
          `--config.file=${join(dir, 'empty.yml')}`,
          `--storage.tsdb.path=${pdir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=100y',
        ],
        '/-/ready',
        60_000,
      );
      try {
        const time = T0 + 4 * 3600;
        const q = encodeURIComponent('{__name__=~".+"}[10h]');
        const res = (await (await fetch(`${p.url}/api/v1/query?query=${q}&time=${time}`)).json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
        };
        expect(res.status).toBe('success');
        const got = res.data.result
          .map((r) => ({ labels: Labels.fromObject(r.metric).toString(), samples: r.values.map(([t, v]) => [Math.round(t * 1000), v] as [number, string]) }))
          .sort((a, b) => (a.labels < b.labels ? -1 : 1));
        const want = series
          .map((s) => ({ labels: s.labels.toString(), samples: s.samples.map(([t, v]) => [t, apiFloat(v)] as [number, string]) }))
          .sort((a, b) => (a.labels < b.labels ? -1 : 1));
        expect(got).toEqual(want);
        const sres = (await (await fetch(`${p.url}/api/v1/series?match[]=${encodeURIComponent('{__name__="http_requests_total"}')}&start=${T0}&end=${time}`)).json()) as {
          data: Record<string, string>[];
        };
        expect(sres.data.length).toBe(6);
      } finally {
        await p.stop();
      }
    });
  });
});

// apiFloat formats a value as Prometheus 2.42's HTTP API does (util/jsonutil): Go's 'f' format,
// or 'e' below 1e-6 and from 1e21 on.
function apiFloat(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && Number.isFinite(v) && (a < 1e-6 || a >= 1e21)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return formatFloatF(v);
}

function chunksOf(samples: readonly (readonly [number, number])[], per: number): ChunkMeta[] {
  const out: ChunkMeta[] = [];
  for (let i = 0; i < samples.length; i += per) {
    const part = samples.slice(i, i + per);
    const c = new XORChunk();
    const a = c.appender();
    for (const [t, v] of part) a.append(t, v);
    out.push({ mint: part[0]![0], maxt: part[part.length - 1]![0], chunk: c });
  }
  return out;
}
