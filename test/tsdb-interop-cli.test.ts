// `vigil tsdb` commands on their own (no peers needed): backfill input errors with file:line,
// streaming in pieces, dump filters, analyze and list output.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOpenMetricsFile, runTsdb } from '../src/cli/cmd-tsdb.js';
import { Backfiller } from '../src/tsdb/index.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await runTsdb(args), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('vigil tsdb', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-tsdb-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const input = [
    '# TYPE a counter',
    'a_total{x="1"} 1 1704067200',
    'a_total{x="1"} 2 1704067215',
    'a_total{x="2"} 5 1704067200.25',
    '# TYPE b gauge',
    'b 1.5 1704070800',
    'b 2.5 1704078000',
    '# EOF',
    '',
  ].join('\n');

  it('creates blocks, lists, analyzes and dumps them', async () => {
    const f = join(dir, 'in.om');
    const data = join(dir, 'data');
    await writeFile(f, input);
    const c = await run(['create-blocks-from', 'openmetrics', f, data]);
    expect(c.code).toBe(0);
    expect(c.out.split('\n')[0]).toMatch(/^BLOCK ULID {18}MIN TIME {7}MAX TIME {7}DURATION {5}NUM SAMPLES {2}NUM CHUNKS {3}NUM SERIES {3}SIZE$/);
    expect((await readdir(data)).length).toBe(2);
    const l = await run(['list', data]);
    expect(l.out.split('\n').length).toBe(4);
    const d = await run(['dump', data]);
    expect(d.out).toBe(
      [
        '{__name__="a_total", x="1"} 1 1704067200000',
        '{__name__="a_total", x="1"} 2 1704067215000',
        '{__name__="a_total", x="2"} 5 1704067200250',
        '{__name__="b"} 1.5 1704070800000',
        '{__name__="b"} 2.5 1704078000000',
        '',
      ].join('\n'),
    );
    const m = await run(['dump', '--match', 'a_total{x="1"}', '--min-time', '1704067201000', data]);
    expect(m.out).toBe('{__name__="a_total", x="1"} 2 1704067215000\n');
    const mt = await run(['dump', '--max-time=1704070800000', '--match={x=~".+"}', data]);
    expect(mt.out.split('\n').filter(Boolean).length).toBe(3);
    const a = await run(['analyze', data]);
    expect(a.out).toMatch(/^Block ID: [0-9A-Z]{26}\nDuration: 1ms\nSeries: 1\nLabel names: 1\n/);
    const missing = await run(['analyze', data, '01ARZ3NDEKTSV4RRFFQ69G5FAV']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('block 01ARZ3NDEKTSV4RRFFQ69G5FAV not found\n');
  });

  it.each([
    { name: 'a sample without timestamp', text: 'a 1\n# EOF\n', error: /in\.om:1: expected timestamp for series \{__name__="a"\}, got none/ },
    { name: 'out-of-order samples', text: 'a 1 10\na 1 9\n# EOF\n', error: /in\.om:2: out of order sample/ },
    { name: 'conflicting duplicates', text: 'a 1 10\na 2 10\n# EOF\n', error: /in\.om:2: duplicate sample for timestamp/ },
    { name: 'a syntax error', text: 'a 1 10\na{ 1 11\n# EOF\n', error: /in\.om:2:\d+: / },
    { name: 'no # EOF', text: 'a 1 10\n', error: /# EOF/ },
    { name: 'data after # EOF', text: 'a 1 10\n# EOF\na 1 11\n', error: /after "# EOF"|EOF/ },
  ])('reports $name with its position', async ({ text, error }) => {
    const f = join(dir, 'in.om');
    await writeFile(f, text);
    const r = await run(['create-blocks-from', 'openmetrics', f, join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(error);
  });

  it('streams input in pieces with the same result and line numbers', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) lines.push(`m{i="${i % 7}"} ${i} ${1704067200 + i}`);
    const f = join(dir, 'big.om');
    await writeFile(f, lines.join('\n') + '\n# EOF\n');
    const whole = new Backfiller({ outputDir: join(dir, 'w') });
    await readOpenMetricsFile(f, whole);
    const pieces = new Backfiller({ outputDir: join(dir, 'p') });
    await readOpenMetricsFile(f, pieces, 97);
    expect(pieces.samples).toBe(500);
    expect(whole.samples).toBe(500);
    lines[321] = `m{i="3"} 1 ${1704067200 + 300}`;
    await writeFile(f, lines.join('\n') + '\n# EOF\n');
    await expect(readOpenMetricsFile(f, new Backfiller({ outputDir: join(dir, 'x') }), 97)).rejects.toThrow(/big\.om:322: out of order sample/);
    lines[321] = 'm{i="3" 1 1';
    await writeFile(f, lines.join('\n') + '\n# EOF\n');
    await expect(readOpenMetricsFile(f, new Backfiller({ outputDir: join(dir, 'y') }), 97)).rejects.toThrow(/big\.om:322:/);
  });

  it('rejects unknown commands and flags', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    await expect(run(['dump', '--nope'])).rejects.toThrow(/unknown flag/);
  });
});
