import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, Matcher, MatchType, formatFloatG } from '../model/index.js';
import { DuplicateSampleError, OutOfOrderSampleError } from '../storage/index.js';
import { Backfiller, Block, compatibleBlockDuration } from './index.js';
import { drain } from './block-fixtures.js';

// testdata/promtool-2.42 holds the blocks `promtool tsdb create-blocks-from openmetrics` (2.42)
// wrote for testdata/backfill-input.om; test/tsdb-interop.test.ts regenerates and compares them.
const TESTDATA = join(import.meta.dirname, 'testdata');
const BLOCKS = ['01M80B6XMTNPZW4PPT0TM2M8SZ', '01M80B6XNHQ7R2E5NJSWJ793MV'];
const H = 3_600_000;

// The samples of backfill-input.om, in file order (timestamps in ms).
const INPUT: [Labels, number, number][] = [
  [Labels.fromStrings('__name__', 'http_requests_total', 'code', '200', 'method', 'get'), 1704067200000, 1027],
  [Labels.fromStrings('__name__', 'http_requests_total', 'code', '200', 'method', 'get'), 1704067215000, 1030],
  [Labels.fromStrings('__name__', 'http_requests_total', 'code', '400', 'method', 'post'), 1704067200500, 3],
  [Labels.fromStrings('__name__', 'http_requests_total', 'code', '400', 'method', 'post'), 1704074400000, 4],
  [Labels.fromStrings('__name__', 'temp', 'room', 'a'), 1704067200000, 21.5],
  [Labels.fromStrings('__name__', 'temp', 'room', 'a'), 1704067230000, NaN],
  [Labels.fromStrings('__name__', 'temp'), 1704067200000, 1e6],
];

describe('blocks written by promtool 2.42', () => {
  it('open and return the input samples', async () => {
    const got: string[] = [];
    for (const id of BLOCKS) {
      const b = await Block.open(join(TESTDATA, 'promtool-2.42', id));
      const q = b.querier(-Infinity, Infinity);
      for (const s of drain(await q.select([new Matcher(MatchType.Regexp, '__name__', '.+')]))) {
        for (const [t, v] of s.samples) got.push(`${s.labels} ${formatFloatG(v)} ${t}`);
      }
      await q.close();
      await b.close();
    }
    const want = INPUT.map(([l, t, v]) => `${l.toString()} ${formatFloatG(v)} ${t}`);
    expect(got.sort()).toEqual(want.sort());
  });
});

describe('Backfiller', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-backfill-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the bytes promtool wrote for the same input', async () => {
    const out = join(dir, 'golden');
    const bf = new Backfiller({ outputDir: out });
    for (const [l, t, v] of INPUT) bf.append(bf.seriesRef(l), t, v);
    const metas = await bf.flush();
    expect(metas.map((m) => [m.minTime, m.maxTime, m.stats])).toEqual([
      [1704067200000, 1704067230001, { numSamples: 6, numSeries: 4, numChunks: 4 }],
      [1704074400000, 1704074400001, { numSamples: 1, numSeries: 1, numChunks: 1 }],
    ]);
    for (let i = 0; i < 2; i++) {
      for (const f of ['index', 'chunks/000001', 'tombstones']) {
        const want = await readFile(join(TESTDATA, 'promtool-2.42', BLOCKS[i]!, f));
        expect(Buffer.compare(await readFile(join(out, metas[i]!.ulid, f)), want), f).toBe(0);
      }
    }
  });

  it("cuts chunks where Prometheus's head would", async () => {
    const out = join(dir, 'cuts');
    const bf = new Backfiller({ outputDir: out });
    const ref = bf.seriesRef(Labels.fromStrings('__name__', 'x'));
    // 2h of 15 s samples: the head spreads 480 samples over 4 chunks of 120.
    for (let t = 0; t < 2 * H; t += 15_000) bf.append(ref, t, t);
    const [meta] = await bf.flush();
    const b = await Block.open(join(out, meta!.ulid));
    const sizes = b.index.series(b.index.allPostings()[0]!).chunks.map((c) => b.chunks.chunk(c.ref).numSamples());
    expect(sizes).toEqual([120, 120, 120, 120]);
    await b.close();
  });

  it('rejects out-of-order and conflicting duplicates, ignores exact duplicates', async () => {
    const bf = new Backfiller({ outputDir: join(dir, 'errors') });
    const ref = bf.seriesRef(Labels.fromStrings('__name__', 'x'));
    bf.append(ref, 1000, 1);
    bf.append(ref, 1000, 1);
    expect(() => bf.append(ref, 1000, 2)).toThrow(DuplicateSampleError);
    expect(() => bf.append(ref, 999, 1)).toThrow(OutOfOrderSampleError);
    expect(bf.samples).toBe(1);
    expect(await readdir(dir)).not.toContain('errors');
  });

  it.each([
    { max: 0, want: 2 * H },
    { max: H, want: 2 * H },
    { max: 6 * H, want: 6 * H },
    { max: 24 * H, want: 18 * H },
    { max: 1e15, want: 2 * H * 3 ** 9 },
  ])('uses $want ms blocks for --max-block-duration $max', ({ max, want }) => {
    expect(compatibleBlockDuration(max)).toBe(want);
  });
});
